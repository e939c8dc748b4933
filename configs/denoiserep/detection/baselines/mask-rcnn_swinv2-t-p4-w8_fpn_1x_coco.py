# Baseline for DenoiseRep on COCO: Mask R-CNN with a SwinV2-T backbone (1x schedule).
# mmdet ships Mask R-CNN with Swin (v1) only: this is mmdet's mask-rcnn_swin-t-p4-w7_fpn_1x_coco
# (model, data, AdamW 1x schedule) with its backbone replaced by mmpretrain's SwinV2-T
# (``mmpretrain.SwinTransformerV2``, window 8, all four stages out for the FPN) initialised from
# the mmpretrain ImageNet-1k model swinv2-tiny-w8_3rdparty_in1k-256px.
# Train: python tools/train.py configs/denoiserep/detection/baselines/<this file>
_base_ = 'mmdet::swin/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py'

pretrained = 'https://download.openmmlab.com/mmclassification/v0/swin-v2/swinv2-tiny-w8_3rdparty_in1k-256px_20220803-e318968f.pth'  # noqa

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.SwinTransformerV2',
        arch='tiny',
        img_size=256,
        window_size=8,
        drop_path_rate=0.2,
        out_indices=(0, 1, 2, 3),
        # detection inputs can have stage-4 maps smaller than the window: pad them
        pad_small_map=True,
        with_cp=False,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    neck=dict(in_channels=[96, 192, 384, 768]))

# no weight decay on SwinV2's attention temperature either (as mmpretrain's SwinV2 recipes)
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'logit_scale': dict(decay_mult=0.)}))
