"""DFF-ResNet: the two-branch convolution, the backbone's stages and shapes, loading plain
ResNet weights, and its use in a ReID model and an mmpretrain ImageClassifier."""
import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.models.backbones import ResNet
from torch import nn

from mmdenoise.models.dff import (DFFBasicBlock, DFFBottleneck, DFFResNet, FFCConv2d,
                                  SpectralTransform)
from mmdenoise.registry import MODELS

TINY = dict(stem_channels=8, base_channels=8)


def _x(*shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


def test_two_branch_conv_streams():
    conv = FFCConv2d(16, 24, 3, stride=2, padding=1, ratio_in=0.5, ratio_out=0.25).eval()
    assert (conv.in_local, conv.in_global, conv.out_local, conv.out_global) == (8, 8, 18, 6)
    assert isinstance(conv.g2g, SpectralTransform)
    x = _x(2, 16, 9, 7)
    y = conv(x)
    assert y.shape == (2, 24, 5, 4)  # the spectral path pools with ceil_mode like the conv
    with torch.no_grad():
        x_l, x_g = x[:, :8], x[:, 8:]
        local = conv.l2l(x_l) + conv.g2l(x_g)
        glob = conv.l2g(x_l) + conv.g2g(x_g)
    torch.testing.assert_close(y, torch.cat([local, glob], 1))
    # the global input reaches the local output only through g2l: with g2l zeroed, changing
    # the global input channels changes the global output only
    with torch.no_grad():
        conv.g2l.weight.zero_()
        shifted = x.clone()
        shifted[:, 8:] += 1
        before, after = conv(x), conv(shifted)
    torch.testing.assert_close(after[:, :18], before[:, :18])
    assert (after[:, 18:] - before[:, 18:]).abs().max() > 1e-3


def test_input_ratio_zero_has_no_global_input_branches():
    conv = FFCConv2d(8, 8, 1, ratio_in=0.0, ratio_out=0.5)
    assert conv.g2l is None and conv.g2g is None and conv.l2g is not None
    assert conv(_x(1, 8, 4, 4)).shape == (1, 8, 4, 4)


@pytest.mark.parametrize('depth,block,channels', [(18, DFFBasicBlock, (8, 16, 32, 64)),
                                                  (50, DFFBottleneck, (32, 64, 128, 256))])
def test_backbone_stages_and_shapes(depth, block, channels):
    net = DFFResNet(depth, dff_stages=(0, 2), out_indices=(0, 1, 2, 3), strides=(1, 2, 2, 1),
                    **TINY)
    net.eval()
    outs = net(_x(2, 3, 64, 32))
    assert [tuple(o.shape) for o in outs] == [(2, c, h, w) for c, (h, w) in zip(
        channels, [(16, 8), (8, 4), (4, 2), (4, 2)])]
    assert all(isinstance(b, block) for b in net.layer1) and all(
        isinstance(b, block) for b in net.layer3)
    assert not any(isinstance(b, (DFFBasicBlock, DFFBottleneck)) for b in net.layer2)
    # a DFF stage after the stem or a plain stage starts its global stream in its first block
    assert net.layer1[0].conv1.in_global == 0 and net.layer1[1].conv1.in_global > 0
    assert net.layer3[0].conv1.in_global == 0
    spectral = [m for m in net.modules() if isinstance(m, SpectralTransform)]
    assert spectral and all(m.filter.adaptivity == 'instance' for m in spectral)


def test_ffc_convs_and_filter_options_reach_every_block():
    net = DFFResNet(50, dff_stages=(1, ), ffc_convs=('conv2', ),
                    filter_cfg=dict(domain='spatial', adaptivity='task', attention='channel'),
                    local_filter_cfg=dict(), **TINY)
    block = net.layer2[1]
    assert isinstance(block.conv2, FFCConv2d)
    assert isinstance(block.conv1, nn.Conv2d) and isinstance(block.conv3, nn.Conv2d)
    filt = block.conv2.g2g.filter
    assert (filt.domain, filt.adaptivity, filt.attention) == ('spatial', 'task', 'channel')
    assert block.conv2.local_filter is not None and block.conv2.local_filter.domain == 'spatial'
    net.eval()
    assert net(_x(1, 3, 64, 32))[0].shape == (1, 256, 2, 1)


def test_plain_resnet_weights_initialise_the_ordinary_branches():
    plain = ResNet(50, **TINY)
    state = plain.state_dict()
    net = DFFResNet(50, **TINY)
    result = net.load_state_dict(state, strict=False)
    assert not result.unexpected_keys
    assert result.missing_keys and all('.g2g.' in k for k in result.missing_keys)
    conv = net.layer2[1].conv2
    w = state['layer2.1.conv2.weight']
    o, i = conv.out_local, conv.in_local
    assert torch.equal(conv.l2l.weight, w[:o, :i]) and torch.equal(conv.l2g.weight, w[o:, :i])
    assert torch.equal(conv.g2l.weight, w[:o, i:])
    assert torch.equal(net.layer4[0].conv1.weight, state['layer4.0.conv1.weight'])  # plain
    assert torch.equal(net.conv1.weight, state['conv1.weight'])
    # its own checkpoint round-trips with strict=True
    DFFResNet(50, **TINY).load_state_dict(net.state_dict(), strict=True)
    bad = dict(state)
    bad['layer1.1.conv2.weight'] = torch.zeros(3, 3, 3, 3)
    with pytest.raises(ValueError, match='cannot initialise the two-branch'):
        DFFResNet(50, **TINY).load_state_dict(bad, strict=False)


def test_in_a_reid_model_and_an_image_classifier():
    backbone = dict(type='DFFResNet', depth=18, strides=(1, 2, 2, 1), **TINY)
    reid = MODELS.build(dict(
        type='ReIDModel', backbone=backbone, neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='BNNeckHead', in_channels=64, num_classes=3,
                  metric_losses=dict(triplet=dict(type='TripletLoss', margin=0.3)))))
    from mmpretrain.structures import DataSample
    samples = [DataSample().set_gt_label(i % 3) for i in range(6)]
    losses = reid(_x(6, 3, 64, 32), samples, mode='loss')
    assert {'loss_cls', 'loss_triplet'} <= set(losses)
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert reid.backbone.layer1[1].conv1.g2g.filter.mask.conv.weight.grad is not None
    reid.eval()
    preds = reid(_x(2, 3, 64, 32), mode='predict')
    assert preds[0].pred_feature.shape == (64, )

    with DefaultScope.overwrite_default_scope('mmpretrain'):  # as mmpretrain's configs
        clf = MODELS.build(dict(
            type='ImageClassifier', backbone=dict(backbone, type='mmdenoise.DFFResNet'),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=5, in_channels=64)))
    clf_samples = [DataSample().set_gt_label(i % 5) for i in range(4)]
    assert 'loss' in clf(_x(4, 3, 32, 32), clf_samples, mode='loss')
    clf.eval()
    assert clf(_x(2, 3, 32, 32), mode='predict')[0].pred_score.shape == (5, )


@pytest.mark.parametrize('kwargs,error,message', [
    (dict(dff_stages=(4, )), ValueError, r'dff_stages must be stage indices in \[0, 4\)'),
    (dict(global_ratio=1.0), ValueError, r'global_ratio must be in \(0, 1\)'),
    (dict(ffc_convs=('conv4', )), ValueError, 'ffc_convs must be a non-empty subset'),
])
def test_bad_backbone_options_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        DFFResNet(50, **TINY, **kwargs)


def test_bad_conv_options_are_named():
    with pytest.raises(ValueError, match='stride must be 1 or 2'):
        FFCConv2d(8, 8, 3, stride=3, padding=1)
    with pytest.raises(ValueError, match='at least 2 output channels'):
        FFCConv2d(8, 2, 1, ratio_out=0.5)
    with pytest.raises(ValueError, match='no bias'):
        FFCConv2d(8, 8, 1, bias=True)
    with pytest.raises(ValueError, match=r'global ratio must be in \[0, 1\]'):
        FFCConv2d(8, 8, 1, ratio_in=1.5)
