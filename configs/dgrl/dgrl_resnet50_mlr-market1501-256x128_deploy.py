# Deploy config of DenoiseRep on DGRL (MLR-Market-1501): the plain DGRL model without the
# ImageNet initialisation (weights come from the checkpoint). tools/fuse_checkpoint.py writes
# fused weights that load into it with strict=True; test them with
#   python tools/test.py THIS deploy.pth
_base_ = './dgrl_resnet50_16x3-70e_mlr-market1501-256x128.py'
model = dict(embedding=dict(backbone=dict(init_cfg=None)), branch=dict(init_cfg=None))
