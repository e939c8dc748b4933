# The SYSU-MM01 all-search D-SELACFP config at test size: ResNet-18 dual stream of width 16
# (LAM before layers 3 and 4, 2 stripes; IFPEM between layers 3 and 4), 64x32 images, batches
# of 4 identities x (6 visible + 6 infrared) = one epoch of 2 iterations on the tiny layout of
# tests/test_datasets/reid_layouts.make_sysu, 2 gallery draws. data_root comes through
# --cfg-options.
_base_ = '../../../../configs/selacfp/d-selacfp_resnet50-dual_12x10-150e_sysu-mm01-all-384x128.py'
model = dict(
    backbone=dict(
        depth=18,
        base_channels=16,
        stem_channels=16,
        lam_cfgs=dict(
            _delete_=True,
            layer3=dict(num_parts=2, dct_size=(4, 4)),
            layer4=dict(num_parts=2, dct_size=(2, 2))),
        ifpem_cfg=dict(low_proj_channels=8, high_proj_channels=16, fuse_channels=(16, 8)),
        init_cfg=None),
    head=dict(in_channels=128, num_classes=4),
)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 64)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCrop', crop_size=(64, 32), padding=2),
    dict(type='RandomErasing', erase_prob=0.5, mode='rand', min_area_ratio=0.02,
         max_area_ratio=0.4),
    dict(type='mmdenoise.PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 64)),
    dict(type='mmdenoise.PackReIDInputs'),
]
train_dataloader = dict(
    batch_size=48,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(num_instances=6, batch_size=48),
    dataset=dict(pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(num_trials=2, pipeline=test_pipeline),
)
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=1))
