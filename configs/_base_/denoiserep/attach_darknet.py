# DenoiseRep attach preset: DarkNet-53 (mmdet ``Darknet``, YOLOv3).
# Every convolution of the five residual stages: the stride-2 conv opening each stage
# (``backbone.conv_res_blockK.conv.conv``) and both convs of each residual block
# (``backbone.conv_res_blockK.resN.conv1.conv`` / ``.conv2.conv``); 51 layers. The stem conv
# (``backbone.conv1``) is left alone. Bias-free constants are folded into the BatchNorm of the
# same ConvModule.
# Use: add this file to ``_base_`` and pass ``attach=_base_.denoiserep_attach`` to the wrapper.
denoiserep_attach = dict(
    layer_types=('Conv2d', ),
    include=[r'^backbone\.conv_res_block\d+\.(conv|res\d+\.conv[12])\.conv$'],
)
