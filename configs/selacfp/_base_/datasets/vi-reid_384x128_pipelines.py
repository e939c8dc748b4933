# Visible-infrared ReID data recipe of paper 002 (section 3.2): 384x128 inputs, random
# horizontal flip, random crop (10-pixel zero padding), random erasing; ImageNet mean/std (the
# backbone is ImageNet-pretrained). Infrared images are read as 3-channel images.
data_preprocessor = dict(
    type='ClsDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 384)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCrop', crop_size=(384, 128), padding=10),
    dict(type='RandomErasing', erase_prob=0.5, mode='rand', min_area_ratio=0.02,
         max_area_ratio=0.4),
    dict(type='mmdenoise.PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 384)),
    dict(type='mmdenoise.PackReIDInputs'),
]
