# The tiny sizes and data of the DGRL tool tests, as tiny_* variables (no key of a real config,
# so this file can sit beside one in _base_): ResNet-18 at width 8, tiny RCAN / GALN, 64x32
# inputs, 2 ids x 2 pairs per batch, 2 epochs, no workers. The tests set the data roots (train:
# a generated Market layout, test: its MLR copy).
tiny_model = dict(
    num_classes=3,
    embedding=dict(
        backbone=dict(depth=18, base_channels=8, stem_channels=8, init_cfg=None),
        non_local_blocks=(0, 1, 1, 0)),
    super_resolution=dict(network=dict(n_resgroups=1, n_resblocks=1, n_feats=8, reduction=4)),
    galn=dict(embed_dims=16, num_groups=4, gdn_hidden=8),
)
tiny_train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(num_instances=2, batch_size=4),
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(32, 64), interpolation='bicubic'),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='RandomCrop', crop_size=(64, 32), padding=2),
        dict(type='mmdenoise.RandomLowResolutionCopy', ratios=(2, 3, 4),
             restore_interpolation='bicubic'),
        dict(type='mmdenoise.PackPairedReIDInputs'),
    ]),
)
tiny_val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(32, 64), interpolation='bicubic'),
        dict(type='mmdenoise.PackReIDInputs'),
    ]),
)
tiny_train_cfg = dict(max_epochs=2, val_interval=2)
tiny_default_hooks = dict(logger=dict(interval=1))
