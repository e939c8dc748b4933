# The real DenoiseRep label-free TransReID-SSL ViT-S config (denoisers on the two Linear layers of
# every MLP, frozen task model) with the tiny overrides of the plain config next to it.
_base_ = '../../../../configs/reid/transreid_ssl/denoiserep-label-free_transreid-ssl_vit-small_market1501-256x128.py'

model = dict(architecture=dict(backbone=dict(img_size=(64, 32), drop_path_rate=0.0),
                               head=dict(num_classes=3)))
deploy_config = './tiny_transreid-ssl_vit-small_market1501.py'
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
