# Deploy config of DenoiseRep on ViT-B/16 fine-tuned on Oxford Flowers-102 (384 px): the baseline
# config, untouched. tools/fuse_checkpoint.py writes fused weights that load into it with
# strict=True.
_base_ = './baselines/vit-base-p16_in1k-pre_8xb8_flowers102-384px.py'
