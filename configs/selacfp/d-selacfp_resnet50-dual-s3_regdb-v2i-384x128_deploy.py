# Deploy config of DenoiseRep on D-SELACFP (RegDB visible to infrared): the plain D-SELACFP model,
# without the ImageNet initialisation (weights come from the checkpoint). tools/fuse_checkpoint.py
# writes fused weights that load into it with strict=True; test them with
#   python tools/test.py THIS deploy.pth
_base_ = './d-selacfp_resnet50-dual-s3_12x10-150e_regdb-v2i-384x128.py'
model = dict(backbone=dict(init_cfg=None))
