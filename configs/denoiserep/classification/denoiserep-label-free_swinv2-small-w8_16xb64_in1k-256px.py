# DenoiseRep (label-free) on SwinV2-S (window 8, 256 px), ImageNet-1k.
# Upstream: mmpretrain::swin_transformer_v2/swinv2-small-w8_16xb64_in1k-256px.py.
# Deploy config: swinv2-small-w8_16xb64_in1k-256px_deploy.py.
# Denoisers on both Linear layers of every MLP (ffn) of the Swin blocks. The trained task model is
# frozen and reads no labels; only the denoisers learn, from the diffusion noise loss. Fuse with
# tools/fuse_checkpoint.py. See README.md.
_base_ = [
    'mmpretrain::swin_transformer_v2/swinv2-small-w8_16xb64_in1k-256px.py',
    '../../_base_/denoiserep/attach_swin.py',
]

model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    architecture=_base_.model,
    mode='label_free',
    attach=_base_.denoiserep_attach)
# the plain model the fused weights load into (tools/fuse_checkpoint.py)
deploy_config = './swinv2-small-w8_16xb64_in1k-256px_deploy.py'

# DenoiseRep starts from the trained model: the upstream release (metafile Weights);
# only the denoiser keys are missing from it.
load_from = 'https://download.openmmlab.com/mmclassification/v0/swin-v2/swinv2-small-w8_3rdparty_in1k-256px_20220803-b01a4332.pth'  # noqa

# Only the denoisers have gradients (the wrapper freezes the task model before the
# optimizer is built); the upstream optimizer and its paramwise_cfg are replaced.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.0))

# short schedule: 5 epochs of ImageNet-1k, linear warm-up then cosine
max_epochs = 5
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=500),
    dict(
        type='CosineAnnealingLR',
        eta_min_ratio=0.01,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True)
]

# the deploy weights at the end; every iteration seeded from (seed, iteration), so --resume
# repeats an uninterrupted run exactly
custom_hooks = [
    dict(type='mmdenoise.DenoiseRepDeployHook'),
    dict(type='mmdenoise.IterationSeedHook'),
]
