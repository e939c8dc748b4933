# Deploy config of DenoiseRep on DETR R50 (150e), COCO: the untouched upstream config.
# tools/fuse_checkpoint.py writes fused weights that load into it with strict=True.
_base_ = 'mmdet::detr/detr_r50_8xb2-150e_coco.py'
