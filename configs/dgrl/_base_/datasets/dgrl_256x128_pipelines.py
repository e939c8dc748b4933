# DGRL data: 256x128 inputs (paper Sec. IV-C). Training images are the HR images; each gets an
# LR copy (r in {2, 3, 4}, cv2.INTER_AREA, back to 256x128 with the test Resize's bicubic
# interpolation) after the shared flip / pad-crop; both are packed as inputs {'hr', 'lr'}.
# Test images (LR queries of the MLR sets, HR gallery) are resized to 256x128.
data_preprocessor = dict(
    type='mmdenoise.PairedReIDDataPreprocessor', mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375], to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 256), interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCrop', crop_size=(256, 128), padding=10),
    dict(type='mmdenoise.RandomLowResolutionCopy', ratios=(2, 3, 4),
         restore_interpolation='bicubic'),
    dict(type='mmdenoise.PackPairedReIDInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 256), interpolation='bicubic'),
    dict(type='mmdenoise.PackReIDInputs'),
]
# 16 identities x 3 LR/HR pairs per batch (paper Sec. IV-C)
train_sampler = dict(type='mmdenoise.IdentitySampler', num_instances=3, batch_size=48)
