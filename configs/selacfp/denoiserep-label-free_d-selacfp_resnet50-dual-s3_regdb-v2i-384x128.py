# DenoiseRep, label-free, on D-SELACFP (RegDB visible to infrared): the trained model is frozen; a
# denoiser on every convolution and linear layer of the backbone (both modality stems, the shared
# stages, LAM and IFPEM) learns from the noise loss only (no labels). Start from the trained
# model:
#   python tools/train.py THIS --cfg-options load_from=<D-SELACFP checkpoint>
#   python tools/fuse_checkpoint.py THIS work_dirs/<this config>/epoch_<n>.pth deploy.pth \
#       --verify
#   python tools/test.py \
#       configs/selacfp/d-selacfp_resnet50-dual-s3_regdb-v2i-384x128_deploy.py deploy.pth
_base_ = './d-selacfp_resnet50-dual-s3_regdb-v2i-384x128_deploy.py'
model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    architecture=_base_.model,
    trace_input_shape=(384, 128),  # the traced forward that proves folds needs >= 6 rows
    mode='label_free',
    attach=dict(layer_types=('Conv2d', 'Linear'), include=[r'^backbone\.']),
)
optim_wrapper = dict(_delete_=True, optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.0))
deploy_config = './d-selacfp_resnet50-dual-s3_regdb-v2i-384x128_deploy.py'
# the deploy weights at the end; every iteration seeded from (seed, iteration), so --resume
# repeats an uninterrupted run exactly
custom_hooks = [
    dict(type='mmdenoise.DenoiseRepDeployHook'),
    dict(type='mmdenoise.DenoiseLossLoggerHook', interval=50),
    dict(type='mmdenoise.IterationSeedHook'),
]
