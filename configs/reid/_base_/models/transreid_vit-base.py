# TransReID ViT-B/16 baseline (He et al. 2021) without SIE / JPM: ImageNet-style ViT-B with the
# overlapping patch embedding of TransReID (16x16 patches, stride 12 -> 21x10 tokens at 256x128),
# BNNeck, label-smoothed CE + hard triplet (margin 0.3). Test on the post-BN feature.
model = dict(
    type='mmdenoise.ReIDModel',
    backbone=dict(
        type='mmdenoise.TransReIDViT', arch='b', img_size=(256, 128), patch_size=16,
        patch_cfg=dict(stride=12), drop_path_rate=0.1, init_cfg=None),
    neck=None,
    head=dict(
        type='mmdenoise.BNNeckHead', in_channels=768, num_classes=751,
        loss_cls=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        metric_losses=dict(triplet=dict(type='mmdenoise.TripletLoss', margin=0.3))),
    test_cfg=dict(feature='after_bn', normalize=True),
)
