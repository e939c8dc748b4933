# MLR-CUHK03 (paper 003 Sec. IV-A): the classic 1,367 / 100 identity split of CUHK03 (labeled
# boxes, 14,096 images) drawn per trial from the CUHK03-NP folders; training on the HR images of
# trial 0, test (trial 0) on the MLR copy built by
#   python tools/dataset_converters/build_mlr_dataset.py data/cuhk03-np data/mlr_cuhk03 \
#       --source cuhk03
# (camera c2 down-sampled): LR queries of camera c2, one HR gallery image per identity.
# The protocol averages 10 trials: train and test once per trial (trials=<t> in both sets).
_base_ = ['./dgrl_256x128_pipelines.py']
num_classes = 1367
train_dataloader = dict(
    batch_size=48,
    num_workers=8,
    persistent_workers=True,
    sampler={{_base_.train_sampler}},
    dataset=dict(type='mmdenoise.CUHK03NPRandomSplit', data_root='data/cuhk03-np', split='train',
                 subset='labeled', trials=0, pipeline={{_base_.train_pipeline}}),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='mmdenoise.CUHK03NPRandomSplit', data_root='data/mlr_cuhk03', split='test',
                 subset='labeled', trials=0, query_camera=1, gallery_shots=1,
                 pipeline={{_base_.test_pipeline}}),
)
val_evaluator = dict(type='mmdenoise.ReIDMetric', distance='cosine', topk=(1, 5, 10))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
