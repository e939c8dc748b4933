# DenoiseRep, label-free (paper 000), on DGRL (MLR-Market-1501): the trained DGRL is frozen and
# reads no labels; denoisers on every convolution / linear layer of its branches, embedding and
# GALNs (never the frozen SR module) learn from the noise loss only, through the training pairs
# (HR path and SR path).
#   python tools/train.py THIS --cfg-options load_from=<DGRL checkpoint>
#   python tools/fuse_checkpoint.py THIS work_dirs/<this config>/epoch_<n>.pth deploy.pth --verify
#   python tools/test.py configs/dgrl/dgrl_resnet50_mlr-market1501-256x128_deploy.py deploy.pth
_base_ = ['./dgrl_resnet50_mlr-market1501-256x128_deploy.py', './_base_/denoiserep_attach.py']
model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    architecture=_base_.model,
    mode='label_free',
    attach=_base_.denoiserep_attach,
)
# only the denoisers have gradients; the paramwise_cfg keeps frozen parameters out
optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.0),
    paramwise_cfg=dict(bypass_duplicate=True),
)
deploy_config = './dgrl_resnet50_mlr-market1501-256x128_deploy.py'
custom_hooks = [
    dict(type='mmdenoise.DenoiseRepDeployHook'),
    dict(type='mmdenoise.DenoiseLossLoggerHook', interval=50),
    dict(type='mmdenoise.IterationSeedHook'),
]
