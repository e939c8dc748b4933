# DFF-ResNet-50 (paper 004) as a ReID model: mmdenoise.DFFResNet (two-branch FFC-style blocks in
# stages 1-3, Deep Frequency Filtering with an instance-adaptive spatial mask in every global
# branch, last stride 1), global average pooling, BNNeck; label-smoothed CE + hard triplet (0.3)
# (the BoT recipe: the poster gives no ReID losses); test on the post-BN feature, L2-normalised.
# Initialisation: mmpretrain's ImageNet ResNet-50, whose plain conv weights are sliced into the
# ordinary branches of the two-branch convolutions (the spectral transforms start from scratch).
# Set `pretrained` to a DFF-ResNet-50 ImageNet checkpoint (configs/dff/dff-resnet50_8xb32_in1k.py)
# to start from a fully pre-trained DFF backbone instead.
pretrained = 'https://download.openmmlab.com/mmclassification/v0/resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth'  # noqa
model = dict(
    type='mmdenoise.ReIDModel',
    backbone=dict(
        type='mmdenoise.DFFResNet',
        depth=50,
        strides=(1, 2, 2, 1),
        out_indices=(3, ),
        dff_stages=(0, 1, 2),
        global_ratio=0.5,
        filter_cfg=dict(domain='frequency', adaptivity='instance', attention='spatial',
                        kernel_size=7),
        init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='mmdenoise.BNNeckHead',
        in_channels=2048,
        num_classes=1000,  # set by each config: the identities of all its sources
        loss_cls=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        metric_losses=dict(triplet=dict(type='mmdenoise.TripletLoss', margin=0.3))),
    test_cfg=dict(feature='after_bn', normalize=True),
)
