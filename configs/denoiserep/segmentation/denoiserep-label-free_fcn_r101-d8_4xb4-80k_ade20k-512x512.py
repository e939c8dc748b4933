# DenoiseRep (label-free) on FCN R101-D8 (80k), ADE20K.
# Upstream: mmseg::fcn/fcn_r101-d8_4xb4-80k_ade20k-512x512.py (= the R50-D8 config with a depth-101
# backbone, as upstream derives it). Deploy config: fcn_r101-d8_4xb4-80k_ade20k-512x512_deploy.py.
# Everything else (denoisers, schedule, hooks) as denoiserep-label-free_fcn_r50-d8_... . See
# README.md.
_base_ = './denoiserep-label-free_fcn_r50-d8_4xb4-80k_ade20k-512x512.py'

model = dict(architecture=dict(backbone=dict(depth=101)))
deploy_config = './fcn_r101-d8_4xb4-80k_ade20k-512x512_deploy.py'
load_from = 'https://download.openmmlab.com/mmsegmentation/v0.5/fcn/fcn_r101-d8_512x512_80k_ade20k/fcn_r101-d8_512x512_80k_ade20k_20200615_014143-bc1809f7.pth'  # noqa
