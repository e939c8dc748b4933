# MLR-VIPeR (paper 003 Sec. IV-A): 316 / 316 identity split per trial; training on the HR images
# of trial 0, test (trial 0) on the MLR copy built by
#   python tools/dataset_converters/build_mlr_dataset.py data/viper data/mlr_viper --source viper
# (cam_b down-sampled): LR queries from cam_b, HR gallery from cam_a.
# The protocol averages 10 trials: train and test once per trial (trials=<t> in both sets).
_base_ = ['./dgrl_256x128_pipelines.py']
num_classes = 316
train_dataloader = dict(
    batch_size=48,
    num_workers=8,
    persistent_workers=True,
    sampler={{_base_.train_sampler}},
    dataset=dict(type='mmdenoise.VIPeR', data_root='data/viper', split='train',
                 trials=0, pipeline={{_base_.train_pipeline}}),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='mmdenoise.VIPeR', data_root='data/mlr_viper', split='test',
                 trials=0, direction='b2a', pipeline={{_base_.test_pipeline}}),
)
val_evaluator = dict(type='mmdenoise.ReIDMetric', distance='cosine', topk=(1, 5, 10))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
