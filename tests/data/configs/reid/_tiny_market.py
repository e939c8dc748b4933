# The tiny sizes and data of the TransReID-SSL tool tests, as tiny_* variables (no key of a real
# config, so this file can sit beside one in _base_): 64x32 inputs (4x2 patches), a tiny
# Market-style folder (data_root from the test), 2 iterations, no workers.
tiny_backbone = dict(img_size=(64, 32), drop_path_rate=0.0)
tiny_num_classes = 3
tiny_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 64), interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmdenoise.PackReIDInputs'),
]
tiny_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 64), interpolation='bicubic'),
    dict(type='mmdenoise.PackReIDInputs'),
]
tiny_train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    sampler=dict(type='mmdenoise.IdentitySampler', num_instances=2, batch_size=4),
    dataset=dict(data_root='data/tiny-market', pipeline=tiny_train_pipeline))
tiny_val_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(data_root='data/tiny-market', pipeline=tiny_test_pipeline))
tiny_train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=2)
tiny_default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
                          logger=dict(type='LoggerHook', interval=1))
