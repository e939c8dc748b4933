# Market1501 (see mmdenoise.datasets: the class docstring shows the expected folder layout).
_base_ = ['./reid_256x128_pipelines.py']
dataset_type = 'mmdenoise.Market1501'
data_root = 'data/market1501'
num_classes = 751
train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='mmdenoise.IdentitySampler', num_instances=4, batch_size=64),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 pipeline={{_base_.train_pipeline}}),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test',
                 pipeline={{_base_.test_pipeline}}),
)
val_evaluator = dict(type='mmdenoise.ReIDMetric', distance='cosine', topk=(1, 5, 10))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
