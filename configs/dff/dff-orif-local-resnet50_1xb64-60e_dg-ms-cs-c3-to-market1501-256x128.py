# Ablation "Ori-F in f_l" of paper 004 (MS+CS+C3 -> MA: mAP 66.9, R1 85.0, paper-reported):
# filtering in the original (spatial) domain on the local branch of every two-branch conv (an
# instance-adaptive spatial mask on the output of l2l), the global branch the plain FFC one.
_base_ = './dff-resnet50_1xb64-60e_dg-ms-cs-c3-to-market1501-256x128.py'
model = dict(backbone=dict(
    filter_cfg=dict(_delete_=True, adaptivity=None),
    local_filter_cfg=dict(domain='spatial', transform=False, adaptivity='instance',
                          attention='spatial', kernel_size=7)))
