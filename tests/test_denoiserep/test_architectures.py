"""Whole upstream architectures (random weights): fused == unfused, architecture unchanged."""
import copy

import pytest
import torch
from torch import nn

from mmdenoise.denoiserep import (attach_denoisers, find_denoised_layers, fuse, is_fused,
                                  set_training_mode)
from mmdenoise.denoiserep.testing import max_rel_error, perturb_denoisers, randomize_bn_stats

pytest.importorskip('mmengine')
MLP_LINEARS = r'ffn\.layers\.(0\.0|1)$'  # the two Linear layers of every mmcv/mmpretrain FFN


def build(package: str, cfg_path: str, part: str = 'backbone') -> nn.Module:
    pytest.importorskip(package)
    from mmengine.hub import get_config
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import DefaultScope, init_default_scope
    scope = {'mmpretrain': 'mmpretrain', 'mmdet': 'mmdet', 'mmseg': 'mmseg'}[package]
    init_default_scope(scope)
    registry = __import__(f'{package}.registry', fromlist=['MODELS']).MODELS
    cfg = get_config(f'{package}::{cfg_path}')
    cfg.model.backbone.init_cfg = None
    if 'pretrained' in cfg.model:
        cfg.model.pretrained = None
    with DefaultScope.overwrite_default_scope(scope):
        if part == 'backbone':
            model = registry.build(cfg.model.backbone)
        elif part == 'backbone+neck':
            model = nn.Sequential(registry.build(cfg.model.backbone),
                                  registry.build(cfg.model.neck))
        else:
            model = registry.build(cfg.model)
    return revert_sync_batchnorm(model)


def check_fusion(factory, x, forward=None, **attach_kwargs):
    """Attach + perturb, compare original / unfused / fused; check the fused architecture."""
    torch.manual_seed(0)
    plain = factory()
    randomize_bn_stats(plain, seed=1)
    plain.eval()
    model = copy.deepcopy(plain)
    if forward is None:
        attach_kwargs.setdefault('example_inputs', x)  # folds are proven by a traced forward
    records = attach_denoisers(model, **attach_kwargs)
    perturb_denoisers(model, seed=2)
    model.eval()
    run = forward or (lambda m, inp: m(inp))
    with torch.no_grad():
        original = run(plain, x)
        unfused = run(model, x)
        fused_model = fuse(model)
        fused = run(fused_model, x)
    assert max_rel_error(original, unfused) > 1e-4, 'the denoisers do not act'
    err = max_rel_error(fused, unfused)
    assert err <= 1e-5, err
    # exactly the original architecture, loadable strictly into a freshly built model
    assert is_fused(fused_model) and not find_denoised_layers(fused_model)
    assert [type(m) for m in fused_model.modules()] == [type(m) for m in plain.modules()]
    fused_sd = fused_model.state_dict()
    assert {k: v.shape for k, v in fused_sd.items()} == \
        {k: v.shape for k, v in plain.state_dict().items()}
    fresh = factory()
    try:
        fresh.load_state_dict(fused_sd, strict=True)
    except RuntimeError:
        # upstream quirk (SwinV2 drops its re-initialised buffers when loading, even from its
        # own state dict): the fused state dict must load exactly as the original one does
        own = fresh.load_state_dict(plain.state_dict(), strict=False)
        result = fresh.load_state_dict(fused_sd, strict=False)
        assert own.missing_keys and not own.unexpected_keys
        assert (result.missing_keys, result.unexpected_keys) == \
            (own.missing_keys, own.unexpected_keys)
    assert sum(p.numel() for p in fused_model.parameters()) == \
        sum(p.numel() for p in plain.parameters())
    return plain, model, fused_model, records


def test_resnet50_all_convs_fold_into_batchnorm():
    factory = lambda: build('mmpretrain', 'resnet/resnet50_8xb32_in1k.py')  # noqa: E731
    plain, model, _, records = check_fusion(factory, torch.randn(1, 3, 64, 64),
                                            layer_types='Conv2d')
    assert len(records) == 53
    assert all(r.constant == 'batchnorm' for r in records)  # every ResNet conv is bias-free
    assert records[0].name == 'conv1' and records[0].norm == 'bn1'
    assert records[0].steps == (53, ) and records[-1].steps == (1, )
    # a plain checkpoint loads into the attached model with only denoiser keys missing
    result = model.load_state_dict(plain.state_dict(), strict=False)
    assert result.missing_keys and all('.denoiser.' in k for k in result.missing_keys)
    assert not result.unexpected_keys


def test_vit_small_mlp_linears_and_init_weights():
    factory = lambda: build('mmpretrain', 'deit/deit-small_4xb256_in1k.py')  # noqa: E731
    _, model, _, records = check_fusion(factory, torch.randn(1, 3, 64, 64),
                                        include=[MLP_LINEARS], steps_per_layer=2)
    assert len(records) == 24 and records[0].name == 'layers.0.ffn.layers.0.0'
    assert records[0].steps == (48, 47)
    # mmengine/mmpretrain initialisation (isinstance(m, nn.Linear) loops) keeps the denoisers
    model.is_init = False
    before = {k: v.clone() for k, v in model.state_dict().items() if '.denoiser.' in k}
    model.init_weights()
    assert all(torch.equal(model.state_dict()[k], v) for k, v in before.items())


def test_swinv2_tiny_mlp_linears():
    factory = lambda: build('mmpretrain',  # noqa: E731
                            'swin_transformer_v2/swinv2-tiny-w8_16xb64_in1k-256px.py')
    _, _, _, records = check_fusion(factory, torch.randn(1, 3, 256, 256), include=[MLP_LINEARS])
    assert len(records) == 24


def test_mask_rcnn_r50_fpn_backbone_and_neck():
    factory = lambda: build('mmdet', 'mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',  # noqa: E731
                            'backbone+neck')
    plain, model, _, records = check_fusion(factory, torch.randn(1, 3, 64, 64),
                                            layer_types='Conv2d')
    constants = {r.name: r.constant for r in records}
    assert len(records) == 61
    assert constants['1.fpn_convs.0.conv'] == 'bias' and constants['0.conv1'] == 'batchnorm'
    # frozen_stages=1: the stem and layer1 can be skipped
    frozen = attach_denoisers(plain, layer_types='Conv2d', skip_frozen=True)
    assert len(frozen) == 61 - 11 and not any(r.name.startswith(('0.conv1', '0.layer1'))
                                              for r in frozen)
    # ResNet.train() re-freezes its stages: a label-free mode keeps the denoisers trainable
    set_training_mode(model, 'label_free')
    model.train()
    assert model[0].conv1.denoiser.wd.requires_grad and model[0].conv1.denoiser.training
    assert not model[0].layer2[0].bn1.training


def test_segformer_mit_b0_mix_ffn_convs():
    factory = lambda: build('mmseg',  # noqa: E731
                            'segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py', 'model')
    plain, _, _, records = check_fusion(factory, torch.randn(1, 3, 64, 64),
                                        forward=lambda m, x: m(x, mode='tensor'),
                                        include=[r'backbone\..*ffn\.layers\.\d+$'])
    assert len(records) == 24  # 8 MixFFN x (1x1, depthwise 3x3, 1x1)
    assert sum(r.groups > 1 for r in records) == 8  # the depthwise 3x3 convs keep their groups
    # nn.MultiheadAttention.out_proj is never called through forward(): refused clearly
    with pytest.raises(ValueError, match='out_proj.*MultiheadAttention'):
        attach_denoisers(plain, layer_types='Linear')


def test_densenet121_folds_only_the_traced_conv_to_norm_pairs():
    """mmpretrain DenseNet-121: every dense layer runs norm1 -> relu -> conv1 -> norm2 -> relu ->
    conv2 -> concat, transitions norm -> relu -> conv -> pool, the stem conv -> BN. By names,
    conv1 / conv2 pair with norm1 / norm2, which precede them; the trace keeps conv1 -> norm2 only (conv2's output
    goes into the concatenation). With trained-size constants the fused model stays exact."""
    factory = lambda: build('mmpretrain', 'densenet/densenet121_4xb256_in1k.py')  # noqa: E731
    with pytest.warns(UserWarning, match='constant-free'):
        _, model, _, records = check_fusion(factory, torch.randn(1, 3, 64, 64),
                                            layer_types='Conv2d')
    folded = {r.name: r.norm for r in records if r.constant == 'batchnorm'}
    assert folded.pop('stem.0') == 'stem.1'  # the stem's conv -> BN
    assert len(folded) == 58  # the conv1 of each of the 6 + 12 + 24 + 16 dense layers
    assert all(name.endswith('.conv1') and norm == name[:-len('conv1')] + 'norm2'
               for name, norm in folded.items())
    assert all(r.why_no_fold for r in records if r.constant == 'none')
