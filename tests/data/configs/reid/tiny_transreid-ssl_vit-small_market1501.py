# The real TransReID-SSL ViT-S Market-1501 config (ViT-S/16 unchanged: 12 layers, 384-d, BNNeck,
# CE + soft-margin triplet) on tiny inputs (64x32 -> 4x2 patches) and a tiny Market-style folder
# (data_root from the test), 2 iterations, no workers. Also the deploy config of the DenoiseRep
# variant next to it.
_base_ = '../../../../configs/reid/transreid_ssl/transreid-ssl_vit-small_16xb4-120e_market1501-256x128.py'

model = dict(backbone=dict(img_size=(64, 32), drop_path_rate=0.0), head=dict(num_classes=3))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 64), interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmdenoise.PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 64), interpolation='bicubic'),
    dict(type='mmdenoise.PackReIDInputs'),
]
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    sampler=dict(type='mmdenoise.IdentitySampler', num_instances=2, batch_size=4),
    dataset=dict(data_root='data/tiny-market', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(data_root='data/tiny-market', pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=2)
param_scheduler = []
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
                     logger=dict(type='LoggerHook', interval=1))
