# DenoiseRep attach preset: ResNet bottleneck backbones (mmpretrain ``ResNet``, mmseg
# ``ResNetV1c`` (the -D8 dilated FCN backbones), mmdet ``ResNet``) whose stages all train.
# The three main-path convolutions of every bottleneck of layer1-4
# (``backbone.layerL.B.conv1/conv2/conv3``). Their bias-free constant is folded into the following
# BatchNorm (``bias_free='auto'``). The stem and the ``downsample`` shortcut convs are left alone.
# For detectors with ``frozen_stages=1`` use ``attach_resnet_frozen-stage1.py``.
# Use: add this file to ``_base_`` and pass ``attach=_base_.denoiserep_attach`` to the wrapper.
denoiserep_attach = dict(
    layer_types=('Conv2d', ),
    include=[r'^backbone\.layer[1-4]\.\d+\.conv[1-3]$'],
)
