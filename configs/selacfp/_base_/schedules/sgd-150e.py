# Paper 002 section 3.2: 150 epochs, learning rate x0.1 at epochs 60 and 100. Not stated there
# (the usual VI-ReID recipe of the AGW / HcTri baselines): SGD, momentum 0.9, Nesterov, weight
# decay 5e-4, lr 0.1 for the new layers and 0.01 (lr_mult 0.1) for the ImageNet-initialised
# ResNet (stems and shared stages), 10 warm-up epochs from 0.1 x lr.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True),
    paramwise_cfg=dict(custom_keys={
        'backbone.lams': dict(lr_mult=1.0),
        'backbone.ifpem': dict(lr_mult=1.0),
        'backbone': dict(lr_mult=0.1),
    }),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=10,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=150, milestones=[60, 100], gamma=0.1),
]
train_cfg = dict(by_epoch=True, max_epochs=150, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=120)
