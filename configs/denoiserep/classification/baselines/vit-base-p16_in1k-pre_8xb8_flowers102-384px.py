# Baseline for DenoiseRep on Oxford 102 Flowers (trained on train+val): ViT-B/16 fine-tuned
# at 384 px from the mmpretrain ImageNet-1k model vit-base-p16_in21k-pre_3rdparty_in1k-384px.
# Upstream model, schedule and runtime bases (the schedule of mmpretrain's CUB configs) and
# dataset settings (configs/_base_/datasets/flowers102_bs8_384.py, following mmpretrain's CUB
# ones), plus the overrides: 384 px ViT, 102 classes, the [-1, 1] normalisation of the
# pretrained model, and the ViT paper's fine-tuning optimiser (SGD with momentum, no weight
# decay, gradient clipping at 1).
# Train: python tools/train.py configs/denoiserep/classification/baselines/<this file>
_base_ = [
    'mmpretrain::_base_/models/vit-base-p16.py',
    '../../../_base_/datasets/flowers102_bs8_384.py',
    'mmpretrain::_base_/schedules/cub_bs64.py',
    'mmpretrain::_base_/default_runtime.py',
]

pretrained = 'https://download.openmmlab.com/mmclassification/v0/vit/finetune/vit-base-p16_in21k-pre-3rdparty_ft-64xb64_in1k-384_20210928-98e8652b.pth'  # noqa

# model settings
model = dict(
    backbone=dict(
        img_size=384,
        init_cfg=dict(
            _delete_=True, type='Pretrained', checkpoint=pretrained, prefix='backbone')),
    head=dict(num_classes=102))

# data settings: normalised as the pretrained model
data_preprocessor = dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5])

# schedule settings (cub_bs64: 100 epochs, warm-up then cosine)
optim_wrapper = dict(
    optimizer=dict(lr=0.003, weight_decay=0.0, nesterov=False),
    clip_grad=dict(max_norm=1.0))

default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
