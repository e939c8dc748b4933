# Ablation "SBase (FFC)" of paper 004 (MS+CS+C3 -> MA: mAP 66.2, R1 84.7, paper-reported): the
# two-branch FFC-style ResNet-50 with the plain Fourier unit, no filtering mask.
_base_ = './dff-resnet50_1xb64-60e_dg-ms-cs-c3-to-market1501-256x128.py'
model = dict(backbone=dict(filter_cfg=dict(_delete_=True, adaptivity=None)))
