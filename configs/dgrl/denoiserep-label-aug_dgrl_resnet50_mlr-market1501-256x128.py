# DenoiseRep, label-augmented (paper 000 Eq. 12), on DGRL (MLR-Market-1501):
# 0.9 x (DGRL losses) + 0.1 x noise loss, the forward going through the denoised layers (every
# convolution / linear layer of the branches, embedding and GALNs; never the frozen SR module);
# fine-tunes the trained DGRL at 0.1 x its learning rate (the denoisers at the full 1.3e-2).
#   python tools/train.py THIS --cfg-options load_from=<DGRL checkpoint>
#   python tools/fuse_checkpoint.py THIS work_dirs/<this config>/epoch_<n>.pth deploy.pth --verify
#   python tools/test.py configs/dgrl/dgrl_resnet50_mlr-market1501-256x128_deploy.py deploy.pth
_base_ = ['./dgrl_resnet50_mlr-market1501-256x128_deploy.py', './_base_/denoiserep_attach.py']
model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    architecture=_base_.model,
    mode='label_augmented',
    noise_loss_weight=0.1,
    attach=_base_.denoiserep_attach,
)
optim_wrapper = dict(
    optimizer=dict(lr=1.3e-3),
    paramwise_cfg=dict(custom_keys={'.denoiser.': dict(lr_mult=10.0)}),
)
deploy_config = './dgrl_resnet50_mlr-market1501-256x128_deploy.py'
custom_hooks = [
    dict(type='mmdenoise.DenoiseRepDeployHook'),
    dict(type='mmdenoise.DenoiseLossLoggerHook', interval=50),
    dict(type='mmdenoise.IterationSeedHook'),
]
