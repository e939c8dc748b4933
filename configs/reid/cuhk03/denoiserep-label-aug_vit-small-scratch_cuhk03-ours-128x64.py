# DenoiseRep, label-augmented: (1 - 0.1) * (ID + triplet) + 0.1 * noise loss, the task forward
# going through the denoised layers; fine-tunes the trained baseline and its denoisers.
# Start from the baseline: --cfg-options load_from=<baseline checkpoint>
_base_ = './reid_vit-small-scratch_8xb4-30e_cuhk03-ours-128x64.py'
model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    architecture=_base_.model,
    mode='label_augmented',
    noise_loss_weight=0.1,
    attach=dict(layer_types=('Linear', ), include=[r'^backbone\.layers\.\d+\.ffn\.layers\.']),
)
deploy_config = './reid_vit-small-scratch_8xb4-30e_cuhk03-ours-128x64.py'
optim_wrapper = dict(optimizer=dict(type='Adam', lr=3.5e-5, weight_decay=5e-4))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=4, eta_min=1e-6)]
train_cfg = dict(by_epoch=True, max_epochs=4, val_interval=2)
custom_hooks = [dict(type='mmdenoise.DenoiseRepDeployHook'),
                dict(type='mmdenoise.DenoiseLossLoggerHook', interval=50),
                dict(type='mmdenoise.IterationSeedHook')]
