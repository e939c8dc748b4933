# DenoiseRep, alternating (the authors' recipe): 10 epochs training the denoisers (backbone frozen),
# 10 epochs training the backbone (denoisers frozen) through the denoised layers, 120 epochs,
# lr 1e-4, noise loss weight 0.1. Start from the trained baseline (load_from).
_base_ = './transreid-ssl_vit-base_16xb4-120e_market1501-256x128.py'
model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    architecture=_base_.model,
    mode='alternating',
    noise_loss_weight=0.1,
    attach=dict(layer_types=('Linear', ), include=[r'^backbone\.layers\.\d+\.ffn\.layers\.']),
)
optim_wrapper = dict(optimizer=dict(lr=1e-4))
find_unused_parameters = True
deploy_config = './transreid-ssl_vit-base_16xb4-120e_market1501-256x128.py'
custom_hooks = [
    dict(type='mmdenoise.DenoiseRepDeployHook'),
    dict(type='mmdenoise.DenoiseLossLoggerHook', interval=50),
    dict(type='mmdenoise.DenoiseRepPhaseHook', phases=[('denoiser', 10), ('backbone', 10)]),
    dict(type='mmdenoise.IterationSeedHook'),
]
