# Deploy config of DenoiseRep on D-SELACFP (SYSU-MM01 all-search): the plain D-SELACFP model,
# without the ImageNet initialisation (weights come from the checkpoint). tools/fuse_checkpoint.py
# writes fused weights that load into it with strict=True; test them with
#   python tools/test.py THIS deploy.pth
_base_ = './d-selacfp_resnet50-dual_12x10-150e_sysu-mm01-all-384x128.py'
model = dict(backbone=dict(init_cfg=None))
