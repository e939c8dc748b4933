# DenoiseRep attach preset: ResNet bottleneck backbones of mmdet detectors with
# ``frozen_stages=1`` (Mask/Faster R-CNN, ATSS, DETR, CenterNet R50 configs).
# As ``attach_resnet.py`` but layer2-4 only: mmdet's ``ResNet.train()`` re-freezes the stem and
# layer1 (requires_grad=False, eval mode) on every ``train()`` call, so denoisers there could not
# learn. Bias-free constants are folded into the following BatchNorm.
# Use: add this file to ``_base_`` and pass ``attach=_base_.denoiserep_attach`` to the wrapper.
denoiserep_attach = dict(
    layer_types=('Conv2d', ),
    include=[r'^backbone\.layer[2-4]\.\d+\.conv[1-3]$'],
)
