# Ablation "Base" of paper 004's tables (MS+CS+C3 -> MA: mAP 59.4, R1 83.1, paper-reported): the
# plain ResNet-50 BNNeck model, same data and schedule as the DFF config.
_base_ = './dff-resnet50_1xb64-60e_dg-ms-cs-c3-to-market1501-256x128.py'
model = dict(backbone=dict(
    _delete_=True, type='ResNet', depth=50, strides=(1, 2, 2, 1), out_indices=(3, ),
    init_cfg=dict(type='Pretrained', checkpoint=_base_.pretrained, prefix='backbone.')))
