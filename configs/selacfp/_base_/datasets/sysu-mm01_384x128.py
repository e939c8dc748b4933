# SYSU-MM01 (mmdenoise.SYSUMM01; layout in its docstring): train on the 395 train + val
# identities, both modalities; batches of 12 identities x (5 visible + 5 infrared) = 120 images
# (paper 002 section 3.2: "12 identities, 10 images per identity"). Test: all-search,
# single-shot, infrared queries against one random visible image per identity and camera,
# averaged over 10 gallery draws (protocol 'sysu' of mmdenoise.ReIDMetric).
_base_ = ['./vi-reid_384x128_pipelines.py']
dataset_type = 'mmdenoise.SYSUMM01'
data_root = 'data/sysu-mm01'
train_dataloader = dict(
    batch_size=120,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='mmdenoise.CrossModalityIdentitySampler', num_instances=5,
                 batch_size=120),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 pipeline={{_base_.train_pipeline}}),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', mode='all',
                 gallery_shots=1, num_trials=10, pipeline={{_base_.test_pipeline}}),
)
val_evaluator = dict(type='mmdenoise.ReIDMetric', protocol='sysu', distance='cosine',
                     topk=(1, 5, 10, 20))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
