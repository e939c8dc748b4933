# Demo baseline (and deploy config): a narrow ResNet-18 (mmpretrain ``ResNet``, base width 16,
# 0.70 M parameters; feature maps 28 -> 14 (stem) -> 7 (max-pool) -> 7 / 4 / 2 / 1) on the
# embedded Fashion-MNIST subset data/fashion-mnist-mini (2,500 train / 1,000 test images, 28x28
# grey, 10 classes). 8 epochs take about a minute on 2 CPU cores and reach about 84 % top-1.
# The grey images are replicated to 3 channels in the pipeline, so the model takes ordinary
# 3-channel input (tools/fuse_checkpoint.py --verify feeds 3-channel images).
# Paths are relative to the repository root (run the tools from there).
# The test split doubles as the validation set (as mmpretrain's CIFAR / MNIST configs do): this
# is a demo of the training -> fusion -> deployment flow, not a model-selection protocol.
default_scope = 'mmpretrain'

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet',
        depth=18,
        in_channels=3,
        stem_channels=16,
        base_channels=16,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

# Fashion-MNIST pixel statistics (0.2860 / 0.3530 of 255), the same for the 3 replicated channels
data_preprocessor = dict(
    num_classes=10,
    mean=[72.94, 72.94, 72.94],
    std=[90.02, 90.02, 90.02],
    to_rgb=False)

data_root = 'data/fashion-mnist-mini'
dataset_type = 'mmdenoise.CheckedFashionMNIST'  # mmpretrain's FashionMNIST + file checks
# grey (28x28) -> 3-channel (28x28x3) through PIL: 'L' -> Grayscale(3) -> numpy
to_three_channels = [
    dict(type='NumpyToPIL', to_rgb=False),
    dict(type='torchvision/Grayscale', num_output_channels=3),
    dict(type='PILToNumpy', to_bgr=False),
]
train_pipeline = to_three_channels + [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = to_three_channels + [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        download=False,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=250,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,  # mmpretrain 1.2's MNIST classes pick the files by test_mode, not split
        download=False,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=40),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=8, eta_min=1e-3)
]
train_cfg = dict(by_epoch=True, max_epochs=8, val_interval=4)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='mmdenoise.AtomicCheckpointHook', interval=-1, save_last=True,
                    max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False))
# every iteration seeded from (seed, iteration): --resume repeats an uninterrupted run exactly
custom_hooks = [dict(type='mmdenoise.IterationSeedHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
