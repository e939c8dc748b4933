# Baseline for DenoiseRep on CIFAR-10: ViT-B/16 fine-tuned at 224 px from the mmpretrain
# ImageNet-1k model vit-base-p16_in21k-pre_3rdparty_in1k-384px (the only ViT-B/16 ImageNet-1k
# release of mmpretrain; its position embeddings are resized to 224 px on load by mmpretrain).
# mmpretrain ships no ViT-on-CIFAR config: this combines the upstream ViT-B/16 model, CIFAR-10
# dataset and runtime bases, plus the overrides CIFAR needs (32 px images resized to 224, the
# [-1, 1] normalisation of the pretrained model, 10 classes).
# Train: python tools/train.py configs/denoiserep/classification/baselines/<this file>
_base_ = [
    'mmpretrain::_base_/models/vit-base-p16.py',
    'mmpretrain::_base_/datasets/cifar10_bs16.py',
    'mmpretrain::_base_/default_runtime.py',
]

pretrained = 'https://download.openmmlab.com/mmclassification/v0/vit/finetune/vit-base-p16_in21k-pre-3rdparty_ft-64xb64_in1k-384_20210928-98e8652b.pth'  # noqa

# model settings: ViT-B/16 at 224 px, 10 classes, ImageNet-1k weights for the backbone
model = dict(
    backbone=dict(
        img_size=224,
        init_cfg=dict(
            _delete_=True, type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    head=dict(num_classes=10))

# data settings: CIFAR-10 upsampled to 224 px, normalised as the pretrained model
data_preprocessor = dict(
    num_classes=10,
    mean=[127.5, 127.5, 127.5],
    std=[127.5, 127.5, 127.5],
    # loaded images are already RGB format
    to_rgb=False)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='Resize', scale=224, interpolation='bicubic'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='Resize', scale=224, interpolation='bicubic'),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=32, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# schedule settings: 30 epochs of fine-tuning, AdamW, warm-up then cosine
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0)
        }),
    clip_grad=dict(max_norm=1.0),
)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=1, end=30)
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# 8 GPUs x 32 images
auto_scale_lr = dict(base_batch_size=256)

default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
