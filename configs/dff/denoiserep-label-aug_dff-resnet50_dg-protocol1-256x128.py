# DenoiseRep, label-augmented, on the trained DFF-ResNet-50 of DG protocol 1:
# 0.9 x (ID + triplet) + 0.1 x noise loss (paper 000 Eq. 12), the task forward going through the
# denoised layers (every backbone convolution, DFF modules included); the model fine-tunes with
# its denoisers, which then fuse exactly into the convolutions (tools/fuse_checkpoint.py).
# Start from the trained DFF model (load_from below, or --cfg-options load_from=...).
_base_ = './dff-resnet50_1xb64-60e_dg-protocol1-256x128.py'
model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    architecture=dict(_base_.model, backbone=dict(_base_.model.backbone, init_cfg=None)),
    mode='label_augmented',
    noise_loss_weight=0.1,
    attach=dict(layer_types=('Conv2d', ), include=[r'^backbone\.']),
)
deploy_config = './dff-resnet50_1xb64-60e_dg-protocol1-256x128.py'
load_from = 'work_dirs/dff-resnet50_1xb64-60e_dg-protocol1-256x128/epoch_60.pth'
optim_wrapper = dict(optimizer=dict(type='Adam', lr=3.5e-5, weight_decay=5e-4))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=10, eta_min=1e-7)]
train_cfg = dict(by_epoch=True, max_epochs=10)
default_hooks = dict(checkpoint=dict(interval=5))
custom_hooks = [dict(type='mmdenoise.DenoiseRepDeployHook'),
                dict(type='mmdenoise.DenoiseLossLoggerHook', interval=50),
                dict(type='mmdenoise.IterationSeedHook')]
