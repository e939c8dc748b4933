# RegDB (mmdenoise.RegDB; layout in its docstring): trial 1 of the 10 standard splits (206
# training identities, 10 visible + 10 thermal images each); batches of 12 identities x
# (5 visible + 5 thermal). Test: visible queries against the thermal gallery of the same trial
# (protocol 'regdb': no camera filtering). Train and test the other trials with
# --cfg-options train_dataloader.dataset.trials=T test_dataloader.dataset.trials=T
# val_dataloader.dataset.trials=T and average the ten results.
_base_ = ['./vi-reid_384x128_pipelines.py']
dataset_type = 'mmdenoise.RegDB'
data_root = 'data/regdb'
train_dataloader = dict(
    batch_size=120,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='mmdenoise.CrossModalityIdentitySampler', num_instances=5,
                 batch_size=120),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', trials=0,
                 pipeline={{_base_.train_pipeline}}),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', direction='v2i',
                 trials=0, pipeline={{_base_.test_pipeline}}),
)
val_evaluator = dict(type='mmdenoise.ReIDMetric', protocol='regdb', distance='cosine',
                     topk=(1, 5, 10, 20))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
