# DenoiseRep (label-free) on ViT-B/16 fine-tuned on Oxford-IIIT Pet (384 px).
# Baseline: baselines/vit-base-p16_in1k-pre_8xb8_oxford-iiit-pet-384px.py (composed from upstream
# bases).
# Deploy config: vit-base-p16_in1k-pre_8xb8_oxford-iiit-pet-384px_deploy.py.
# Denoisers on both Linear layers of every MLP (ffn) of the ViT blocks. The trained task model is
# frozen and reads no labels; only the denoisers learn, from the diffusion noise loss. Fuse with
# tools/fuse_checkpoint.py. See README.md.
_base_ = [
    './baselines/vit-base-p16_in1k-pre_8xb8_oxford-iiit-pet-384px.py',
    '../../_base_/denoiserep/attach_vit.py',
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
deploy_config = './vit-base-p16_in1k-pre_8xb8_oxford-iiit-pet-384px_deploy.py'

# DenoiseRep starts from the trained model: no release exists for this baseline, so
# train it first:
#   python tools/train.py configs/denoiserep/classification/baselines/vit-base-p16_in1k-pre_8xb8_oxford-iiit-pet-384px.py
# (its last checkpoint is below), or point load_from at your own checkpoint.
load_from = 'work_dirs/vit-base-p16_in1k-pre_8xb8_oxford-iiit-pet-384px/epoch_100.pth'

# Only the denoisers have gradients (the wrapper freezes the task model before the
# optimizer is built); the upstream optimizer and its paramwise_cfg are replaced.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.0))

# short schedule: 50 epochs, linear warm-up then cosine
max_epochs = 50
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
