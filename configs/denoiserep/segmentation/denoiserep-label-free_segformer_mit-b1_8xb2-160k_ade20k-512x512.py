# DenoiseRep (label-free) on SegFormer MiT-B1 (160k), ADE20K.
# Upstream: mmseg::segformer/segformer_mit-b1_8xb2-160k_ade20k-512x512.py (= the MiT-B0 config with
# the B1 widths, as upstream derives it).
# Deploy config: segformer_mit-b1_8xb2-160k_ade20k-512x512_deploy.py.
# Everything else (denoisers, schedule, hooks) as denoiserep-label-free_segformer_mit-b0_... . See
# README.md.
_base_ = './denoiserep-label-free_segformer_mit-b0_8xb2-160k_ade20k-512x512.py'

checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b1_20220624-02e5a6a1.pth'  # noqa
model = dict(
    architecture=dict(
        backbone=dict(embed_dims=64, num_heads=[1, 2, 5, 8], num_layers=[2, 2, 2, 2]),
        decode_head=dict(in_channels=[64, 128, 320, 512])))
deploy_config = './segformer_mit-b1_8xb2-160k_ade20k-512x512_deploy.py'
load_from = 'https://download.openmmlab.com/mmsegmentation/v0.5/segformer/segformer_mit-b1_512x512_160k_ade20k/segformer_mit-b1_512x512_160k_ade20k_20210726_112106-d70e859d.pth'  # noqa
