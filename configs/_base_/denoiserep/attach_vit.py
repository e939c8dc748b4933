# DenoiseRep attach preset: ViT / DeiT (mmpretrain ``VisionTransformer``).
# Both Linear layers of every transformer block's MLP: ``backbone.layers.N.ffn.layers.0.0`` (fc1,
# C -> 4C) and ``backbone.layers.N.ffn.layers.1`` (fc2, 4C -> C), as in the paper (the embedding
# layers of the backbone). Attention projections, the patch embedding and the head are left alone.
# Use: add this file to ``_base_`` and pass ``attach=_base_.denoiserep_attach`` to the wrapper.
denoiserep_attach = dict(
    layer_types=('Linear', ),
    include=[r'^backbone\.layers\.\d+\.ffn\.layers\.(0\.0|1)$'],
)
