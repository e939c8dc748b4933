# DenoiseRep, label-augmented (paper 000 Eq. 12), on D-SELACFP (RegDB visible to infrared): 0.9 x
# (D-SELACFP losses) + 0.1 x noise loss, the forward going through the denoised layers (every
# convolution and linear layer of the backbone); fine-tunes the trained model at 0.1 x its
# learning rate (the denoisers at the full 0.01).
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
    mode='label_augmented',
    noise_loss_weight=0.1,
    attach=dict(layer_types=('Conv2d', 'Linear'), include=[r'^backbone\.']),
)
optim_wrapper = dict(
    optimizer=dict(lr=0.01),
    paramwise_cfg=dict(custom_keys={'.denoiser.': dict(lr_mult=1.0)}),
)
deploy_config = './d-selacfp_resnet50-dual-s3_regdb-v2i-384x128_deploy.py'
# the deploy weights at the end; every iteration seeded from (seed, iteration), so --resume
# repeats an uninterrupted run exactly
custom_hooks = [
    dict(type='mmdenoise.DenoiseRepDeployHook'),
    dict(type='mmdenoise.DenoiseLossLoggerHook', interval=50),
    dict(type='mmdenoise.IterationSeedHook'),
]
