# CAVIAR (paper 003 Sec. IV-A): real cross-resolution images; the 22 one-camera persons are
# dropped and the other 50 split 25 / 25 per trial. Training on trial 0 (its images are the
# HR images of the pairs), test (trial 0): queries from the distant camera (camid 1), one
# gallery image per person from the other camera.
# The protocol averages 10 trials: train and test once per trial (trials=<t> in both sets).
_base_ = ['./dgrl_256x128_pipelines.py']
num_classes = 25
train_dataloader = dict(
    batch_size=48,
    num_workers=8,
    persistent_workers=True,
    sampler={{_base_.train_sampler}},
    dataset=dict(type='mmdenoise.CAVIAR', data_root='data/caviar', split='train',
                 trials=0, pipeline={{_base_.train_pipeline}}),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='mmdenoise.CAVIAR', data_root='data/caviar', split='test',
                 trials=0, query_camera=1, gallery_shots=1,
                 pipeline={{_base_.test_pipeline}}),
)
val_evaluator = dict(type='mmdenoise.ReIDMetric', distance='cosine', topk=(1, 5, 10))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
