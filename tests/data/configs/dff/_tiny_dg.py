# The tiny sizes and training data of the DFF tool tests, as tiny_* variables (no key of a real
# config, so this file can sit beside one in _base_): a DFF-ResNet-18 with 8 base channels on
# 64x32 images, two tiny generated sources (Market-1501- and DukeMTMC-style folders: 6
# identities, one epoch = 2 iterations of 3 ids x 2 images), no workers. The tests point every
# data_root at their generated folders with --cfg-options.
tiny_backbone = dict(depth=18, stem_channels=8, base_channels=8, filter_cfg=dict(kernel_size=3))
tiny_head = dict(in_channels=64, num_classes=6)
tiny_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 64)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmdenoise.PackReIDInputs'),
]
tiny_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 64)),
    dict(type='mmdenoise.PackReIDInputs'),
]
tiny_train_dataloader = dict(
    batch_size=6, num_workers=0, persistent_workers=False,
    sampler=dict(type='mmdenoise.IdentitySampler', num_instances=2, batch_size=6),
    dataset=dict(
        datasets=[dict(type='mmdenoise.Market1501', data_root='', split='train'),
                  dict(type='mmdenoise.DukeMTMCReID', data_root='', split='train')],
        pipeline=tiny_train_pipeline))
tiny_train_cfg = dict(max_epochs=1)
