# Deploy config of DenoiseRep on ViT-B/16 (384 px), ImageNet-1k: the untouched upstream config.
# tools/fuse_checkpoint.py writes fused weights that load into it with strict=True.
_base_ = 'mmpretrain::vision_transformer/vit-base-p16_64xb64_in1k-384px.py'
