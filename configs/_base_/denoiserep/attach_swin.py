# DenoiseRep attach preset: Swin / SwinV2 (mmpretrain ``SwinTransformer(V2)``, also when used as
# an mmdet backbone through ``mmpretrain.SwinTransformerV2``).
# Both Linear layers of every block's MLP: ``backbone.stages.S.blocks.B.ffn.layers.0.0`` (fc1) and
# ``.ffn.layers.1`` (fc2), as in the paper. Window attention (qkv, proj, the SwinV2 cpb_mlp),
# patch embedding / merging and the head are left alone.
# Use: add this file to ``_base_`` and pass ``attach=_base_.denoiserep_attach`` to the wrapper.
denoiserep_attach = dict(
    layer_types=('Linear', ),
    include=[r'^backbone\.stages\.\d+\.blocks\.\d+\.ffn\.layers\.(0\.0|1)$'],
)
