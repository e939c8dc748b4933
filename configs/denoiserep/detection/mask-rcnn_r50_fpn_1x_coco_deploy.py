# Deploy config of DenoiseRep on Mask R-CNN R50-FPN (1x), COCO: the untouched upstream config.
# tools/fuse_checkpoint.py writes fused weights that load into it with strict=True.
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'
