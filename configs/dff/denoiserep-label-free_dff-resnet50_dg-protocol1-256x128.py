# DenoiseRep, label-free, on the trained DFF-ResNet-50 of DG protocol 1: the model is frozen and
# reads no labels; denoisers on every backbone convolution (the two-branch convs' l2l / l2g /
# g2l, the spectral transforms' 1x1 convs, the Fourier-unit convs and the DFF mask convs) learn
# from the noise loss alone on the source images, then fuse exactly into those convolutions
# (tools/fuse_checkpoint.py); the fused weights load into the deploy (DFF) config.
# Start from the trained DFF model (load_from below, or --cfg-options load_from=...).
_base_ = './dff-resnet50_1xb64-60e_dg-protocol1-256x128.py'
model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    # the trained weights come through load_from: no ImageNet download
    architecture=dict(_base_.model, backbone=dict(_base_.model.backbone, init_cfg=None)),
    mode='label_free',
    attach=dict(layer_types=('Conv2d', ), include=[r'^backbone\.']),
)
deploy_config = './dff-resnet50_1xb64-60e_dg-protocol1-256x128.py'
load_from = 'work_dirs/dff-resnet50_1xb64-60e_dg-protocol1-256x128/epoch_60.pth'
optim_wrapper = dict(_delete_=True, optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.0))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=10, eta_min=1e-6)]
train_cfg = dict(by_epoch=True, max_epochs=10)
default_hooks = dict(checkpoint=dict(interval=5))
custom_hooks = [dict(type='mmdenoise.DenoiseRepDeployHook'),
                dict(type='mmdenoise.DenoiseLossLoggerHook', interval=50),
                dict(type='mmdenoise.IterationSeedHook')]
