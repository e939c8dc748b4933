# DenoiseRep, label-augmented (paper Eq. 12): 0.9 x (ID + triplet) + 0.1 x noise loss, the task
# forward going through the denoised layers (the two Linear layers of every ViT MLP (the paper)); fine-tunes the trained baseline.
#   python tools/train.py THIS --cfg-options load_from=<baseline checkpoint>
_base_ = './transreid-ssl_vit-small_16xb4-120e_cuhk03-np-labeled-256x128.py'
model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    architecture=_base_.model,
    mode='label_augmented',
    noise_loss_weight=0.1,
    attach=dict(layer_types=('Linear', ), include=[r'^backbone\.layers\.\d+\.ffn\.layers\.']),
)
optim_wrapper = dict(optimizer=dict(lr=1e-4))
deploy_config = './transreid-ssl_vit-small_16xb4-120e_cuhk03-np-labeled-256x128.py'
custom_hooks = [
    dict(type='mmdenoise.DenoiseRepDeployHook'),
    dict(type='mmdenoise.DenoiseLossLoggerHook', interval=50),
    dict(type='mmdenoise.IterationSeedHook'),
]
