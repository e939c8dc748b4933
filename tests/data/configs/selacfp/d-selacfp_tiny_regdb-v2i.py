# The RegDB visible-to-infrared D-SELACFP config at test size: ResNet-18 dual stream of width 16
# up to stage 3 (LAM before layers 2 and 3, IFPEM between layers 2 and 3), 64x32 images,
# batches of 3 identities x (2 visible + 2 thermal): one iteration per epoch, 2 epochs on the
# tiny layout of tests/test_datasets/reid_layouts.make_regdb. data_root via --cfg-options.
_base_ = '../../../../configs/selacfp/d-selacfp_resnet50-dual-s3_12x10-150e_regdb-v2i-384x128.py'
model = dict(
    backbone=dict(
        depth=18,
        base_channels=16,
        stem_channels=16,
        lam_cfgs=dict(
            _delete_=True,
            layer2=dict(num_parts=2, dct_size=(8, 8)),
            layer3=dict(num_parts=2, dct_size=(4, 4))),
        ifpem_cfg=dict(low_proj_channels=8, high_proj_channels=16, fuse_channels=(16, 8)),
        init_cfg=None),
    head=dict(in_channels=64, num_classes=3),
)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 64)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCrop', crop_size=(64, 32), padding=2),
    dict(type='mmdenoise.PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 64)),
    dict(type='mmdenoise.PackReIDInputs'),
]
train_dataloader = dict(
    batch_size=12,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(num_instances=2, batch_size=12),
    dataset=dict(pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=test_pipeline),
)
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=2, val_interval=2)
default_hooks = dict(logger=dict(interval=1))
