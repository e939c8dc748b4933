# DenoiseRep, label-free: the trained resnet50-bnneck is frozen; denoisers on every backbone conv
# learn from the noise loss only (no labels). Start from the trained baseline:
#   python tools/train.py THIS --cfg-options load_from=<baseline checkpoint>
_base_ = './resnet50-bnneck_16xb4-120e_vehicleid-256x256.py'
model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    architecture=_base_.model,
    mode='label_free',
    attach=dict(layer_types=('Conv2d', ), include=[r'^backbone\.']),
)
optim_wrapper = dict(_delete_=True, optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.0))
deploy_config = './resnet50-bnneck_16xb4-120e_vehicleid-256x256.py'
custom_hooks = [
    dict(type='mmdenoise.DenoiseRepDeployHook'),
    dict(type='mmdenoise.DenoiseLossLoggerHook', interval=50),
    dict(type='mmdenoise.IterationSeedHook'),
]
