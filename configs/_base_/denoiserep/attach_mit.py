# DenoiseRep attach preset: Mix Transformer (mmseg ``MixVisionTransformer``, SegFormer MiT-B*).
# The three convolutions of every block's Mix-FFN: ``backbone.layers.S.1.B.ffn.layers.0`` (1x1,
# C -> 4C), ``.ffn.layers.1`` (3x3 depthwise; its denoiser is diagonal so the fused conv stays
# depthwise) and ``.ffn.layers.4`` (1x1, 4C -> C). All have a bias, so no BatchNorm folding.
# Efficient self-attention (sr conv, attention projections) and the overlapping patch embeddings
# are left alone.
# Use: add this file to ``_base_`` and pass ``attach=_base_.denoiserep_attach`` to the wrapper.
denoiserep_attach = dict(
    layer_types=('Conv2d', ),
    include=[r'^backbone\.layers\.\d+\.1\.\d+\.ffn\.layers\.(0|1|4)$'],
)
