# D-SELACFP (paper 002, Fig. 1): dual-stream ResNet-50 (visible / infrared stems, shared layers
# 1-4, last stride 1), LAM before layers 3 and 4, IFPEM between layers 3 and 4, GeM, BNNeck;
# cross-entropy + hetero-center triplet on the modality-shared feature, cross-entropy on the
# modality-specific feature and an orthogonal loss between the two. Sizes for 384x128 inputs:
# layer2 / layer3 / layer4 maps are 48x16 / 24x8 / 24x8, so 6 horizontal stripes are 8x16 and
# 4x8 (the DCT sizes). The choices the paper leaves open are listed in configs/selacfp/README.md.
imagenet_resnet50 = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                     'resnet50_8xb32_in1k_20210831-ea4938fc.pth')
model = dict(
    type='mmdenoise.DSELACFP',
    backbone=dict(
        type='mmdenoise.DualStreamResNet',
        depth=50,
        num_stages=4,
        strides=(1, 2, 2, 1),
        lam_cfgs=dict(
            layer3=dict(num_parts=6, dct_size=(8, 16), frequencies='top16', reduction=16),
            layer4=dict(num_parts=6, dct_size=(4, 8), frequencies='top16', reduction=16)),
        ifpem_cfg=dict(stage='layer4', low_proj_channels=64, high_proj_channels=256,
                       fuse_channels=(256, 64), residual=True),
        init_cfg=dict(type='Pretrained', checkpoint=imagenet_resnet50, prefix='backbone.')),
    neck=dict(type='GeneralizedMeanPooling', p=3.0),
    head=dict(
        type='mmdenoise.BNNeckHead', in_channels=2048, num_classes=395,
        loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    specific=dict(type='mmdenoise.ModalitySpecificEmbedding'),
    loss_hetero_center=dict(type='mmdenoise.HeteroCenterTripletLoss', margin=0.3,
                            loss_weight=1.0),
    loss_orthogonal=dict(type='mmdenoise.OrthogonalLoss', mode='cosine', loss_weight=1.0),
    test_cfg=dict(feature='after_bn', flip=False, normalize=False),
)
