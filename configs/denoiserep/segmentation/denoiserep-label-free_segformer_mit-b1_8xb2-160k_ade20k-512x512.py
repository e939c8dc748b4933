# DenoiseRep (label-free) on SegFormer MiT-B1 (160k), ADE20K.
# Upstream: mmseg::segformer/segformer_mit-b1_8xb2-160k_ade20k-512x512.py.
# Deploy config: segformer_mit-b1_8xb2-160k_ade20k-512x512_deploy.py.
# Denoisers on the three convs of every Mix-FFN of the MiT backbone. The trained task model is
# frozen and reads no labels; only the denoisers learn, from the diffusion noise loss. Fuse with
# tools/fuse_checkpoint.py. See README.md.
_base_ = [
    'mmseg::segformer/segformer_mit-b1_8xb2-160k_ade20k-512x512.py',
    '../../_base_/denoiserep/attach_mit.py',
]

model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    # the trained model comes through load_from: no ImageNet backbone init (no download)
    architecture=dict(
        _base_.model, backbone=dict(_base_.model.backbone, init_cfg=None)),
    mode='label_free',
    attach=_base_.denoiserep_attach)
# the plain model the fused weights load into (tools/fuse_checkpoint.py)
deploy_config = './segformer_mit-b1_8xb2-160k_ade20k-512x512_deploy.py'

# DenoiseRep starts from the trained model: the upstream release (metafile Weights);
# only the denoiser keys are missing from it.
load_from = 'https://download.openmmlab.com/mmsegmentation/v0.5/segformer/segformer_mit-b1_512x512_160k_ade20k/segformer_mit-b1_512x512_160k_ade20k_20210726_112106-d70e859d.pth'  # noqa

# Only the denoisers have gradients (the wrapper freezes the task model before the
# optimizer is built); the upstream optimizer and its paramwise_cfg are replaced.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.0))

# short schedule: 8k iterations (~6 epochs of ADE20K), linear warm-up then cosine
max_iters = 8000
train_cfg = dict(max_iters=max_iters, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=500),
    dict(
        type='CosineAnnealingLR',
        eta_min_ratio=0.01,
        by_epoch=False,
        begin=0,
        end=max_iters)
]

# the deploy weights at the end; every iteration seeded from (seed, iteration), so --resume
# repeats an uninterrupted run exactly
custom_hooks = [
    dict(type='mmdenoise.DenoiseRepDeployHook'),
    dict(type='mmdenoise.IterationSeedHook'),
]
