# DGRL (paper 003, Fig. 2): frozen SR of the LR images, two non-shared ResNet-50 stems with a
# residual Restormer block, the shared ResNet-50 stages (last stride 1) with non-local blocks
# and side branches from stages 2 and 3, GeM, one GALN + BNNeck classifier per branch;
# loss = 5 x smooth-L1(f_h, f_s) + ID (LS 0.1) + WRT (branch weights 1, 0.5, 0.5) + pairwise KL.
# Choices the paper leaves open are listed in configs/dgrl/README.md.
# No weights are loaded here: the training configs add the ImageNet ResNet-50 (init_cfg).
imagenet_resnet50 = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
                     'resnet50_8xb32_in1k_20210831-ea4938fc.pth')
model = dict(
    type='mmdenoise.DGRL',
    num_classes=751,
    embedding=dict(
        type='mmdenoise.MGAREmbedding',
        backbone=dict(type='mmdenoise.ResNetStages', depth=50, strides=(1, 2, 2, 1)),
        side_stages=(2, 3),
        side_blocks=1,
        non_local_blocks=(0, 2, 3, 0),
        gem=dict(p=3.0, p_trainable=True)),
    branch=dict(
        type='mmdenoise.ResNetStemBranch',
        restormer=dict(num_blocks=1, num_heads=4, ffn_expansion=2.66, bias=False,
                       outer_residual=True)),
    # RCAN x2 (10 groups x 20 RCABs, 64 features); with weights=None the SR stage falls back
    # to bicubic up-sampling (no SR weights are published with the paper)
    super_resolution=dict(
        type='mmdenoise.FrozenSuperResolution',
        scale=2,
        network=dict(type='mmdenoise.RCAN', scale=2, n_resgroups=10, n_resblocks=20,
                     n_feats=64, reduction=16),
        weights=None),
    galn=dict(type='mmdenoise.GroupAwareLearningNetwork', embed_dims=512, num_groups=32,
              gdn_hidden=256),
    head=dict(
        type='mmdenoise.BNNeckHead',
        loss_cls=dict(type='mmpretrain.LabelSmoothLoss', label_smooth_val=0.1,
                      mode='original')),
    metric_loss=dict(type='mmdenoise.WeightedRegularizedTripletLoss'),
    id_weights=(1.0, 0.5, 0.5),
    metric_weights=(1.0, 0.5, 0.5),
    feature_loss=dict(type='mmdenoise.FeatureAlignmentLoss', loss_weight=5.0, beta=1.0,
                      reduction='mean'),
    kl_loss=dict(type='mmdenoise.PairwiseKLDivLoss', loss_weight=1.0, reduction='batchmean'),
    test_cfg=dict(feature='after_bn', normalize=False, low_resolution='query'),
)
# The ImageNet initialisation of the training configs (shared stages and both stems).
pretrained_init = dict(type='Pretrained', checkpoint=imagenet_resnet50, prefix='backbone.')
