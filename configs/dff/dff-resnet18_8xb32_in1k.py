# DFF-ResNet-18 on ImageNet-1k (paper 004, complexity table: 12.2M parameters, 2.0 GFLOPs,
# top-1 72.3, paper-reported): mmpretrain's ResNet-18 recipe with the backbone replaced by
# mmdenoise.DFFResNet (DFF in stages 1-3).
_base_ = ['mmpretrain::resnet/resnet18_8xb32_in1k.py']
model = dict(backbone=dict(type='mmdenoise.DFFResNet', dff_stages=(0, 1, 2), global_ratio=0.5,
                           filter_cfg=dict(domain='frequency', adaptivity='instance',
                                           attention='spatial', kernel_size=7)))
