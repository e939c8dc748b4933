# Deploy config of DenoiseRep on DeiT-S (ViT-S/16) fine-tuned on CIFAR-10 (224 px): the baseline
# config, untouched. tools/fuse_checkpoint.py writes fused weights that load into it with
# strict=True.
_base_ = './baselines/deit-small_in1k-pre_8xb32_cifar10-224px.py'
