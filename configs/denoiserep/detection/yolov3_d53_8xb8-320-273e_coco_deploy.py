# Deploy config of DenoiseRep on YOLOv3 DarkNet-53 (320 px), COCO: the untouched upstream config.
# tools/fuse_checkpoint.py writes fused weights that load into it with strict=True.
_base_ = 'mmdet::yolo/yolov3_d53_8xb8-320-273e_coco.py'
