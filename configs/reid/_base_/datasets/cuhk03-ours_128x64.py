# Our identity split of the 767 CUHK03 training identities (tools/dataset_converters/
# make_cuhk03_split.py): 667 training ids, 100 validation ids (first image of each view =
# query, the rest = gallery). 128x64 inputs (CPU budget), BoT-style augmentation.
dataset_type = 'mmdenoise.ReIDListDataset'
data_root = 'data/cuhk03-ours'
num_classes = 667
data_preprocessor = dict(
    type='ClsDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 128)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCrop', crop_size=(128, 64), padding=5),
    dict(type='RandomErasing', erase_prob=0.5, mode='rand', min_area_ratio=0.02,
         max_area_ratio=0.4),
    dict(type='mmdenoise.PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 128)),
    dict(type='mmdenoise.PackReIDInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='mmdenoise.IdentitySampler', num_instances=4, batch_size=32),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', ann_file='train.txt',
                 data_prefix=dict(img_path='images'), pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', query_file='query.txt',
                 gallery_file='gallery.txt', data_prefix=dict(img_path='images'),
                 pipeline=test_pipeline),
)
val_evaluator = dict(type='mmdenoise.ReIDMetric', distance='cosine', topk=(1, 5, 10))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
