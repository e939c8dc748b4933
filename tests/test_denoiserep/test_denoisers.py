"""The noise predictor D(y, t) = Wd (y + e(t)) + bd, its loss and its initialisation."""
import pytest
import torch
from torch import nn

from mmdenoise.denoiserep import FeatureDenoiser, LayerDenoiser
from mmdenoise.denoiserep.denoisers import NoisePredictor, feature_distance
from mmdenoise.denoiserep.testing import perturb_denoisers

SCHED = dict(num_steps=10, beta_start=0.05, beta_end=0.3)


def full_wd(pred: NoisePredictor) -> torch.Tensor:
    """The dense C x C block-diagonal matrix held compactly in ``wd``."""
    g, c = pred.groups, pred.channels
    cb = c // g
    return torch.block_diag(*pred.wd.detach().double().view(g, cb, cb))


def test_initialisation():
    torch.manual_seed(0)
    d = NoisePredictor(256, time_embed_dim=32)
    assert torch.count_nonzero(d.time_embedding(7)) == 0  # e(t) = 0 at init
    assert torch.count_nonzero(d.bd) == 0
    assert 0.015 < float(d.wd.std()) < 0.025
    free = NoisePredictor(8, constant_free=True)
    assert [n for n, _ in free.named_parameters()] == ['wd']
    assert free.constant(3) is None
    # never mistaken for a Linear / Conv2d by name-based initialisers
    for cls in (NoisePredictor, LayerDenoiser, FeatureDenoiser):
        names = {c.__name__ for c in cls.__mro__}
        assert not names & {'Linear', 'Conv2d', 'Conv', '_ConvNd'}
        assert not issubclass(cls, (nn.Linear, nn.Conv2d))
    assert not hasattr(d, 'weight') and not hasattr(d, 'bias')


@pytest.mark.parametrize('groups', [1, 4, 8])
def test_predictor_formula_on_conv_maps_and_tokens(groups):
    torch.manual_seed(0)
    d = perturb_denoisers(NoisePredictor(8, groups=groups, channel_dim=1, schedule=SCHED,
                                         time_embed_dim=16).double())
    y = torch.randn(2, 8, 5, 3, dtype=torch.float64)
    t = 4
    e = d.time_embedding(t)
    assert torch.count_nonzero(e) == 8
    expected = torch.einsum('oc,nchw->nohw', full_wd(d), y + e.view(1, 8, 1, 1))
    expected = expected + d.bd.view(1, 8, 1, 1)
    torch.testing.assert_close(d(y, t), expected, rtol=0, atol=1e-12)
    # the same predictor on the last dim (tokens)
    tok = NoisePredictor(8, groups=groups, channel_dim=-1, schedule=SCHED,
                         time_embed_dim=16).double()
    tok.load_state_dict(d.state_dict())
    y_tok = torch.randn(2, 3, 8, dtype=torch.float64)
    expected = (y_tok + e) @ full_wd(d).T + d.bd
    torch.testing.assert_close(tok(y_tok, t), expected, rtol=0, atol=1e-12)


def test_per_sample_steps():
    torch.manual_seed(0)
    d = perturb_denoisers(NoisePredictor(6, channel_dim=1, schedule=SCHED, time_embed_dim=8))
    y = torch.randn(3, 6, 4, 4)
    ts = torch.tensor([1, 5, 10])
    out = d(y, ts)
    for i, t in enumerate(ts.tolist()):
        torch.testing.assert_close(out[i:i + 1], d(y[i:i + 1], t))


@pytest.mark.parametrize('distance', ['l1+l2', 'l1', 'l2'])
@pytest.mark.parametrize('reduction', ['mean', 'sum'])
def test_noise_loss(distance, reduction):
    torch.manual_seed(0)
    d = perturb_denoisers(
        NoisePredictor(5, schedule=SCHED, loss=distance, loss_reduction=reduction,
                       time_embed_dim=8))
    y0 = torch.randn(4, 5)
    torch.manual_seed(123)
    loss = d.noise_loss(y0, 3)
    torch.manual_seed(123)
    eps = torch.randn_like(y0)
    pred = d(d.schedule.q_sample(y0, 3, eps), 3)
    diff = pred - eps
    red = torch.mean if reduction == 'mean' else torch.sum
    expected = {'l1': red(diff.abs()), 'l2': red(diff**2),
                'l1+l2': red(diff.abs()) + red(diff**2)}[distance]
    torch.testing.assert_close(loss, expected)
    with pytest.raises(ValueError):
        feature_distance(eps, pred, 'huber')


def test_reverse_step_formula():
    torch.manual_seed(0)
    d = perturb_denoisers(NoisePredictor(4, schedule=SCHED, time_embed_dim=8).double())
    y = torch.randn(3, 4, dtype=torch.float64)
    s = d.schedule
    expected = float(s.c3(6)) * y - float(s.c1(6)) * d(y, 6)
    torch.testing.assert_close(d.reverse_step(y, 6), expected, rtol=0, atol=1e-14)


def test_layer_denoiser_validation():
    with pytest.raises(ValueError, match='consecutive'):
        LayerDenoiser(4, steps=(3, 1), schedule=SCHED)
    with pytest.raises(ValueError, match='out of range'):
        LayerDenoiser(4, steps=(11, ), schedule=SCHED)
    with pytest.raises(ValueError, match='multiple of groups'):
        NoisePredictor(6, groups=4)
    with pytest.raises(ValueError, match='unknown loss'):
        NoisePredictor(6, loss='huber')


# ---------------------------------------------------------------------- DenoiseRep-
def test_feature_denoiser_learns_a_toy_feature():
    torch.manual_seed(0)
    dim = 16
    basis = torch.randn(2, dim)
    fd = FeatureDenoiser(dim, schedule=dict(num_steps=100, beta_start=1e-4, beta_end=2e-2),
                         inference_steps=10, time_embed_dim=32)
    opt = torch.optim.Adam(fd.parameters(), lr=1e-2)

    def batch():
        return torch.randn(128, 2) @ basis * 0.1  # low-rank features

    torch.manual_seed(1)
    with torch.no_grad():
        start = sum(float(fd.noise_loss(batch())) for _ in range(5)) / 5
    for _ in range(40):
        loss = fd.noise_loss(batch())
        assert torch.isfinite(loss)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        end = sum(float(fd.noise_loss(batch())) for _ in range(5)) / 5
    assert end < 0.8 * start


def test_feature_denoiser_inference_is_deterministic():
    torch.manual_seed(0)
    fd = perturb_denoisers(FeatureDenoiser(12, inference_steps=15, time_embed_dim=16)).eval()
    feat = torch.randn(3, 12)
    out1, out2 = fd(feat), fd(feat)
    assert torch.equal(out1, out2) and out1.shape == feat.shape
    # T' = 15 recursive steps t = 15..1
    ref = feat
    for t in range(15, 0, -1):
        ref = fd.reverse_step(ref, t)
    assert torch.equal(out1, ref)
    assert not torch.allclose(out1, feat)
    # conv feature maps
    fmap = FeatureDenoiser(6, channel_dim=1, inference_steps=3, time_embed_dim=8)
    x = torch.randn(2, 6, 4, 4)
    assert fmap(x).shape == x.shape and torch.isfinite(fmap.noise_loss(x))
    with pytest.raises(ValueError, match='inference_steps'):
        FeatureDenoiser(4, inference_steps=2000)
    with pytest.raises(ValueError, match='channels'):
        fd(torch.randn(3, 5))
