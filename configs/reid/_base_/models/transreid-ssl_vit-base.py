# TransReID-SSL ViT-B/16 (Luo et al. 2021): 256x128, non-overlapping stride 16, CLS feature after
# the final LN, BNNeck; plain CE + soft-margin triplet on the pre-BN feature (1:1); test on the
# pre-BN feature, L2-normalised. Pretrained weights (LUPerson DINO, `vit_base_cfs_lup.pth`) are
# not downloadable here: set `pretrained` to a converted file to use them.
pretrained = None
model = dict(
    type='mmdenoise.ReIDModel',
    backbone=dict(
        type='mmdenoise.TransReIDViT', arch='b', img_size=(256, 128), patch_size=16,
        drop_path_rate=0.1, stem_conv=False,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')
        if pretrained else None),
    neck=None,
    head=dict(
        type='mmdenoise.BNNeckHead', in_channels=768, num_classes=751,
        loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
        metric_losses=dict(triplet=dict(type='mmdenoise.TripletLoss', margin=None))),
    test_cfg=dict(feature='before_bn', normalize=True),
)
