# MLR-Market-1501 (paper 003 Sec. IV-A): training on the HR Market-1501 train split (751 ids; the
# LR copies are made by the pipeline), test on the MLR copy built by
#   python tools/dataset_converters/build_mlr_dataset.py data/market1501 data/mlr_market1501 \
#       --source market1501
# (camera 1 down-sampled by r in {2, 3, 4}, cv2.INTER_AREA): LR queries of camera 1, HR gallery.
_base_ = ['./dgrl_256x128_pipelines.py']
num_classes = 751
train_dataloader = dict(
    batch_size=48,
    num_workers=8,
    persistent_workers=True,
    sampler={{_base_.train_sampler}},
    dataset=dict(type='mmdenoise.Market1501', data_root='data/market1501', split='train',
                 pipeline={{_base_.train_pipeline}}),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='mmdenoise.Market1501', data_root='data/mlr_market1501', split='test',
                 pipeline={{_base_.test_pipeline}}),
)
val_evaluator = dict(type='mmdenoise.ReIDMetric', distance='cosine', topk=(1, 5, 10))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
