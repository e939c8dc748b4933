# DFF-ResNet-50 on ImageNet-1k (paper 004, complexity table: 27.7M parameters, 4.5 GFLOPs,
# top-1 77.9, paper-reported): mmpretrain's ResNet-50 recipe (8 x 32 images, SGD, 100 epochs)
# with the backbone replaced by mmdenoise.DFFResNet (DFF in stages 1-3). Its checkpoint can
# initialise the ReID configs (`pretrained` in _base_/models/dff-resnet50-bnneck.py).
_base_ = ['mmpretrain::resnet/resnet50_8xb32_in1k.py']
model = dict(backbone=dict(type='mmdenoise.DFFResNet', dff_stages=(0, 1, 2), global_ratio=0.5,
                           filter_cfg=dict(domain='frequency', adaptivity='instance',
                                           attention='spatial', kernel_size=7)))
