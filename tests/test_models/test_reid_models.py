"""ReID models and losses: losses against brute-force definitions; model modes; DenoiseRep."""
import math

import pytest
import torch
from mmengine.registry import init_default_scope

import mmdenoise  # noqa: F401
from mmdenoise.models.reid import (CenterLoss, TripletLoss, WeightedRegularizedTripletLoss)
from mmdenoise.registry import MODELS


def _problem(seed=0, n=12, c=6):
    g = torch.Generator().manual_seed(seed)
    feats = torch.randn(n, c, generator=g, dtype=torch.float64)
    labels = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 3, 4, 4, 4])[:n]  # id 3 has no positive
    return feats, labels


def _dist(a, b):
    return math.sqrt(sum((x - y)**2 for x, y in zip(a, b)))


def brute_triplet(feats, labels, margin):
    f, y = feats.tolist(), labels.tolist()
    terms = []
    for i in range(len(f)):
        pos = [_dist(f[i], f[j]) for j in range(len(f)) if j != i and y[j] == y[i]]
        neg = [_dist(f[i], f[j]) for j in range(len(f)) if y[j] != y[i]]
        if not pos or not neg:
            continue
        x = max(pos) - min(neg)
        terms.append(math.log1p(math.exp(x)) if margin is None else max(0.0, x + margin))
    return sum(terms) / len(terms)


def brute_wrt(feats, labels):
    f, y = feats.tolist(), labels.tolist()
    terms = []
    for i in range(len(f)):
        pos = [_dist(f[i], f[j]) for j in range(len(f)) if j != i and y[j] == y[i]]
        neg = [_dist(f[i], f[j]) for j in range(len(f)) if y[j] != y[i]]
        if not pos or not neg:
            continue
        wp = [math.exp(d) for d in pos]
        wn = [math.exp(-d) for d in neg]
        ap = sum(w * d for w, d in zip(wp, pos)) / sum(wp)
        an = sum(w * d for w, d in zip(wn, neg)) / sum(wn)
        terms.append(math.log1p(math.exp(ap - an)))
    return sum(terms) / len(terms)


@pytest.mark.parametrize('margin', [0.3, None, 5.0])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_triplet_matches_brute_force(margin, seed):
    feats, labels = _problem(seed)
    got = TripletLoss(margin=margin)(feats, labels)
    assert abs(got.item() - brute_triplet(feats, labels, margin)) < 1e-9


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_wrt_matches_brute_force(seed):
    feats, labels = _problem(seed)
    got = WeightedRegularizedTripletLoss()(feats, labels)
    assert abs(got.item() - brute_wrt(feats, labels)) < 1e-9


def test_losses_without_any_positive_are_zero_and_differentiable():
    feats = torch.randn(4, 3, requires_grad=True)
    labels = torch.arange(4)
    for loss in (TripletLoss(), WeightedRegularizedTripletLoss()):
        value = loss(feats, labels)
        value.backward()
        assert value.item() == 0.0


def test_center_loss_definition_and_errors():
    loss = CenterLoss(num_classes=3, feat_dim=2, loss_weight=1.0)
    with torch.no_grad():
        loss.centers.copy_(torch.tensor([[0., 0.], [1., 1.], [2., 0.]]))
    feats = torch.tensor([[1., 0.], [1., 3.]])
    expected = 0.5 * ((1 + 0) + (0 + 4)) / 2
    assert loss(feats, torch.tensor([0, 1])).item() == pytest.approx(expected)
    with pytest.raises(ValueError, match='feature dim'):
        loss(torch.zeros(2, 5), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='expected features'):
        TripletLoss()(torch.zeros(3, 2), torch.zeros(2, dtype=torch.long))


def _vit_reid(stem_conv=False, **test_cfg):
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='mmdenoise.ReIDModel',
        backbone=dict(type='mmdenoise.TransReIDViT',
                      arch=dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),
                      img_size=(64, 32), stem_conv=stem_conv),
        head=dict(type='mmdenoise.BNNeckHead', in_channels=32, num_classes=4,
                  loss_cls=dict(type='mmpretrain.LabelSmoothLoss', label_smooth_val=0.1,
                                mode='original'),
                  metric_losses=dict(triplet=dict(type='mmdenoise.TripletLoss', margin=None))),
        test_cfg=test_cfg,
        data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor', mean=[127.5] * 3,
                               std=[127.5] * 3)))


def _samples(n=4):
    from mmpretrain.structures import DataSample
    return [DataSample().set_gt_label(i % 2) for i in range(n)]


@pytest.mark.parametrize('stem_conv', [False, True])
def test_transreid_vit_modes(stem_conv):
    model = _vit_reid(stem_conv=stem_conv)
    assert model.backbone.patch_resolution == (4, 2)
    x = torch.randn(4, 3, 64, 32)
    model.train()
    losses = model(x, _samples(), mode='loss')
    assert {'loss_cls', 'loss_triplet'} <= set(losses)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.head.bnneck.bias.grad is None  # BNNeck bias frozen
    model.eval()
    out = model(x, _samples(), mode='predict')
    assert out[0].pred_feature.shape == (32, )
    assert model(x, mode='tensor').shape == (4, 32)


def test_test_cfg_feature_flip_and_normalize():
    model = _vit_reid(feature='after_bn', flip=True, normalize=True).eval()
    x = torch.randn(2, 3, 64, 32)
    with torch.no_grad():
        feats = torch.stack([s.pred_feature for s in model(x, _samples(2), mode='predict')])
        expected = (model.head(model.extract_feat(x)) +
                    model.head(model.extract_feat(x.flip(3)))) / 2
    torch.testing.assert_close(feats, torch.nn.functional.normalize(expected, dim=1))
    with pytest.raises(ValueError, match='before_bn'):
        _vit_reid(feature='middle')


def test_resnet_bnneck_baseline_with_gem():
    init_default_scope('mmpretrain')
    model = MODELS.build(dict(
        type='mmdenoise.ReIDModel',
        backbone=dict(type='ResNet', depth=18, base_channels=8, strides=(1, 2, 2, 1),
                      out_indices=(3, )),
        neck=dict(type='GeneralizedMeanPooling'),
        head=dict(type='mmdenoise.BNNeckHead', in_channels=64, num_classes=4,
                  metric_losses=dict(wrt=dict(type='mmdenoise.WeightedRegularizedTripletLoss')))))
    x = torch.randn(4, 3, 64, 32)
    assert model.backbone(x)[-1].shape[-2:] == (4, 2)  # last stride 1: 64/16 x 32/16
    assert set(model(x, _samples(), mode='loss')) >= {'loss_cls', 'loss_wrt'}


def test_denoiserep_on_reid_vit_fuses_exactly():
    from mmdenoise.models import DenoiseRepWrapper
    model = _vit_reid()
    wrapper = DenoiseRepWrapper(model, mode='label_augmented',
                                attach=dict(layer_types=('Linear', ), include=[r'ffn\.layers\.']))
    g = torch.Generator().manual_seed(0)
    for name, p in wrapper.named_parameters():
        if '.denoiser.' in name:
            p.data.add_(torch.randn(p.shape, generator=g) * 0.05)
    wrapper.eval()
    fused = wrapper.fuse()
    x = torch.randn(3, 3, 64, 32)
    with torch.no_grad():
        ref, out = wrapper(x, mode='tensor'), fused(x, mode='tensor')
    assert (out - ref).abs().max() / ref.abs().max() < 1e-5
    assert type(fused) is type(model)
