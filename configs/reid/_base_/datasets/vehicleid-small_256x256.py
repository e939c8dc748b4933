# VehicleID (see mmdenoise.datasets: the class docstring shows the expected folder layout).
_base_ = ['./reid_256x128_pipelines.py']
# vehicles: square 256x256 inputs
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 256), interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCrop', crop_size=(256, 256), padding=10),
    dict(type='RandomErasing', erase_prob=0.5, mode='rand', min_area_ratio=0.02,
         max_area_ratio=0.4),
    dict(type='mmdenoise.PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 256), interpolation='bicubic'),
    dict(type='mmdenoise.PackReIDInputs'),
]
dataset_type = 'mmdenoise.VehicleID'
data_root = 'data/vehicleid'
num_classes = 13164
train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='mmdenoise.IdentitySampler', num_instances=4, batch_size=64),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', test_size='small',
                 pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', test_size='small',
                 pipeline=test_pipeline),
)
val_evaluator = dict(type='mmdenoise.ReIDMetric', distance='cosine', topk=(1, 5, 10))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
