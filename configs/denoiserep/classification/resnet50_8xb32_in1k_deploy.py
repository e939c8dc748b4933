# Deploy config of DenoiseRep on ResNet-50, ImageNet-1k: the untouched upstream config.
# tools/fuse_checkpoint.py writes fused weights that load into it with strict=True.
_base_ = 'mmpretrain::resnet/resnet50_8xb32_in1k.py'
