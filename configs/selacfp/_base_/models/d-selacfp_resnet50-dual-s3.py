# D-SELACFP for RegDB (paper 002, section 3.2: "training only up to Stage 3, inserting LAM
# modules before Layer2/Layer3, and implementing IFPEM between Layer2-Layer3"): the dual-stream
# ResNet-50 truncated after layer3 (1024-d features, ImageNet strides). Sizes for 384x128
# inputs: layer1 / layer2 / layer3 maps are 96x32 / 48x16 / 24x8 (6 stripes: 16x32 and 8x16);
# IFPEM up-samples the 24x8 high-level map to the 48x16 low-level size.
_base_ = './d-selacfp_resnet50-dual.py'
model = dict(
    backbone=dict(
        num_stages=3,
        strides=(1, 2, 2),
        lam_cfgs=dict(
            _delete_=True,
            layer2=dict(num_parts=6, dct_size=(16, 32), frequencies='top16', reduction=16),
            layer3=dict(num_parts=6, dct_size=(8, 16), frequencies='top16', reduction=16)),
        ifpem_cfg=dict(stage='layer3')),
    head=dict(in_channels=1024, num_classes=206),
)
