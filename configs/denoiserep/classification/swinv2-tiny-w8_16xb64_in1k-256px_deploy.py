# Deploy config of DenoiseRep on SwinV2-T (window 8, 256 px), ImageNet-1k: the untouched upstream
# config. tools/fuse_checkpoint.py writes fused weights that load into it with strict=True.
_base_ = 'mmpretrain::swin_transformer_v2/swinv2-tiny-w8_16xb64_in1k-256px.py'
