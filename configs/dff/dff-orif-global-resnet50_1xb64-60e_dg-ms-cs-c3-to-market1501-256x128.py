# Ablation "Ori-F in f_g" of paper 004 (MS+CS+C3 -> MA: mAP 61.9, R1 83.5, paper-reported): the
# same filter in the global branch, applied in the original (spatial) domain instead of after
# the FFT.
_base_ = './dff-resnet50_1xb64-60e_dg-ms-cs-c3-to-market1501-256x128.py'
model = dict(backbone=dict(filter_cfg=dict(domain='spatial')))
