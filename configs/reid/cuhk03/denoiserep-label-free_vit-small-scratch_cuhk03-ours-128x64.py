# DenoiseRep, label-free: the trained baseline is frozen, denoisers on the two Linear layers of every ViT MLP learn
# from the noise loss alone (no labels), then fuse into those linears.
# Start from the baseline: --cfg-options load_from=<baseline checkpoint>
_base_ = './reid_vit-small-scratch_8xb4-30e_cuhk03-ours-128x64.py'
model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    architecture=_base_.model,
    mode='label_free',
    attach=dict(layer_types=('Linear', ), include=[r'^backbone\.layers\.\d+\.ffn\.layers\.']),
)
deploy_config = './reid_vit-small-scratch_8xb4-30e_cuhk03-ours-128x64.py'
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.0))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=4, eta_min=1e-5)]
train_cfg = dict(by_epoch=True, max_epochs=4, val_interval=2)
custom_hooks = [dict(type='mmdenoise.DenoiseRepDeployHook'),
                dict(type='mmdenoise.DenoiseLossLoggerHook', interval=50),
                dict(type='mmdenoise.IterationSeedHook')]
