# Deploy config of DenoiseRep on Mask R-CNN SwinV2-T-FPN (1x), COCO: the baseline config,
# untouched. tools/fuse_checkpoint.py writes fused weights that load into it with strict=True.
_base_ = './baselines/mask-rcnn_swinv2-t-p4-w8_fpn_1x_coco.py'
