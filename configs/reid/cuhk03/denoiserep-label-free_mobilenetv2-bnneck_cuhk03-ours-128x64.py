# DenoiseRep, label-free: the trained baseline is frozen, denoisers on every backbone conv learn
# from the noise loss alone (no labels), then fuse into the convs / following BNs.
# Start from the baseline: --cfg-options load_from=<baseline checkpoint>
_base_ = './reid_mobilenetv2-bnneck_8xb4-12e_cuhk03-ours-128x64.py'
model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    architecture=_base_.model,
    mode='label_free',
    attach=dict(layer_types=('Conv2d', ), include=[r'^backbone\.']),
)
deploy_config = './reid_mobilenetv2-bnneck_8xb4-12e_cuhk03-ours-128x64.py'
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.0))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=4, eta_min=1e-5)]
train_cfg = dict(by_epoch=True, max_epochs=4, val_interval=2)
custom_hooks = [dict(type='mmdenoise.DenoiseRepDeployHook'),
                dict(type='mmdenoise.DenoiseLossLoggerHook', interval=50),
                dict(type='mmdenoise.IterationSeedHook')]
