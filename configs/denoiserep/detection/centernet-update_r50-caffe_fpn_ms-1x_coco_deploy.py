# Deploy config of DenoiseRep on CenterNet (CenterNet-update) R50-caffe-FPN (1x, multi-scale),
# COCO: the untouched upstream config. tools/fuse_checkpoint.py writes fused weights that load into
# it with strict=True.
_base_ = 'mmdet::centernet/centernet-update_r50-caffe_fpn_ms-1x_coco.py'
