# ResNet-50 BNNeck baseline (BoT, Luo et al. 2019): last stride 1, GAP, BNNeck,
# label-smoothed CE + hard triplet (0.3); test on the post-BN feature.
model = dict(
    type='mmdenoise.ReIDModel',
    backbone=dict(type='ResNet', depth=50, strides=(1, 2, 2, 1), out_indices=(3, ),
                  init_cfg=None),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='mmdenoise.BNNeckHead', in_channels=2048, num_classes=751,
        loss_cls=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        metric_losses=dict(triplet=dict(type='mmdenoise.TripletLoss', margin=0.3))),
    test_cfg=dict(feature='after_bn', normalize=True),
)
