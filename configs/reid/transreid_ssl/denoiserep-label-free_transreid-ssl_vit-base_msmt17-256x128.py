# DenoiseRep, label-free: the trained transreid-ssl_vit-base is frozen; denoisers on the two Linear layers of every ViT MLP (the paper)
# learn from the noise loss only (no labels). Start from the trained baseline:
#   python tools/train.py THIS --cfg-options load_from=<baseline checkpoint>
_base_ = './transreid-ssl_vit-base_16xb4-120e_msmt17-256x128.py'
model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    architecture=_base_.model,
    mode='label_free',
    attach=dict(layer_types=('Linear', ), include=[r'^backbone\.layers\.\d+\.ffn\.layers\.']),
)
optim_wrapper = dict(_delete_=True, optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.0))
deploy_config = './transreid-ssl_vit-base_16xb4-120e_msmt17-256x128.py'
custom_hooks = [
    dict(type='mmdenoise.DenoiseRepDeployHook'),
    dict(type='mmdenoise.DenoiseLossLoggerHook', interval=50),
    dict(type='mmdenoise.IterationSeedHook'),
]
