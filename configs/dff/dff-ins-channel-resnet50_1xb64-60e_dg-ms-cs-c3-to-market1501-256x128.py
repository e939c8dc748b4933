# Ablation "Ins.(C)" of paper 004 (MS+CS+C3 -> MA: mAP 69.8, R1 86.2, paper-reported): an
# instance-adaptive channel attention (CBAM-style MLP, reduction 4) on the frequency
# representation instead of the spatial mask over frequency positions.
_base_ = './dff-resnet50_1xb64-60e_dg-ms-cs-c3-to-market1501-256x128.py'
model = dict(backbone=dict(filter_cfg=dict(adaptivity='instance', attention='channel',
                                           reduction=4)))
