# Deploy config of DenoiseRep on DeiT-S (ViT-S/16), ImageNet-1k: the untouched upstream config.
# tools/fuse_checkpoint.py writes fused weights that load into it with strict=True.
_base_ = 'mmpretrain::deit/deit-small_4xb256_in1k.py'
