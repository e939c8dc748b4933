# Ablation "Task.(C)" of paper 004 (MS+CS+C3 -> MA: mAP 62.7, R1 80.0, paper-reported): one
# learned value per channel (shared by its real and imaginary part), the same for all images.
_base_ = './dff-resnet50_1xb64-60e_dg-ms-cs-c3-to-market1501-256x128.py'
model = dict(backbone=dict(filter_cfg=dict(adaptivity='task', attention='channel')))
