"""loss_sample_ratio: the noise loss on a random subset of a feature's positions is an unbiased,
cheaper estimate of the full loss; eval and fusion are untouched."""
import statistics

import pytest
import torch

from mmdenoise.denoiserep import LayerDenoiser, attach_denoisers, collect_noise_losses, fuse
from mmdenoise.denoiserep.testing import max_rel_error, perturb_denoisers

SCHED = dict(num_steps=100, beta_start=1e-3, beta_end=0.1)


def _denoiser(channel_dim, ratio, reduction='mean', groups=1, channels=8):
    torch.manual_seed(0)
    d = LayerDenoiser(channels, steps=(5, ), channel_dim=channel_dim, schedule=SCHED,
                      loss_reduction=reduction, groups=groups, loss_sample_ratio=ratio)
    perturb_denoisers(torch.nn.Sequential(d), seed=1)
    return d.train()


@pytest.mark.parametrize('channel_dim, shape, groups', [(1, (4, 8, 6, 5), 1), (1, (4, 8, 6, 5), 8),
                                                        (-1, (4, 10, 8), 1)])
def test_the_loss_sees_the_sampled_share_of_positions(channel_dim, shape, groups, monkeypatch):
    d = _denoiser(channel_dim, 0.25, groups=groups)
    seen = []
    original = LayerDenoiser.noise_loss
    monkeypatch.setattr(LayerDenoiser, 'noise_loss',
                        lambda self, y, t: seen.append(tuple(y.shape)) or original(self, y, t))
    y = torch.randn(*shape)
    d.process(y)
    positions = y.numel() // 8
    assert seen == [(round(0.25 * positions), 8)]
    loss = d.pop_losses()[0]
    loss.backward()
    assert d.wd.grad is not None and d.wd.grad.abs().sum() > 0


@pytest.mark.parametrize('reduction', ['mean', 'sum'])
def test_sampled_loss_is_an_unbiased_estimate(reduction):
    y = torch.randn(2, 8, 6, 6)
    full, sampled = _denoiser(1, 1.0, reduction), _denoiser(1, 0.25, reduction)
    torch.manual_seed(3)
    draws_full = [full._sampled_noise_loss(y).item() for _ in range(300)]
    draws_sampled = [sampled._sampled_noise_loss(y).item() for _ in range(300)]
    mean_full, mean_sampled = statistics.fmean(draws_full), statistics.fmean(draws_sampled)
    se = (statistics.pvariance(draws_full) / 300 + statistics.pvariance(draws_sampled) / 300)**0.5
    assert abs(mean_sampled - mean_full) < 5 * se
    # and it is noisier per draw (it sees fewer positions), so the comparison is not vacuous
    assert statistics.pstdev(draws_sampled) > statistics.pstdev(draws_full)


def test_ratio_one_is_the_full_loss_and_bad_ratios_are_refused():
    y = torch.randn(3, 8, 4, 4)
    a, b = _denoiser(1, 1.0), _denoiser(1, 1.0)
    torch.manual_seed(5)
    la = a._sampled_noise_loss(y)
    torch.manual_seed(5)
    lb = b.noise_loss(y, 5)
    assert torch.equal(la, lb)
    for bad in (0.0, -0.5, 1.5):
        with pytest.raises(ValueError, match='loss_sample_ratio'):
            LayerDenoiser(8, steps=(5, ), loss_sample_ratio=bad)


def test_attach_passes_it_and_eval_and_fusion_do_not_depend_on_it():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.Conv2d(8, 4, 1))
    attach_denoisers(net, layer_types='Conv2d', schedule=SCHED, loss_sample_ratio=0.5)
    assert all(m.loss_sample_ratio == 0.5 for m in net.modules() if isinstance(m, LayerDenoiser))
    perturb_denoisers(net, seed=1)
    net.train()
    net(torch.randn(2, 3, 8, 8))
    losses = collect_noise_losses(net)
    assert len(losses['per_layer']) == 2 and losses['loss_denoise'] > 0
    net.eval()
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        assert max_rel_error(fuse(net)(x), net(x)) < 1e-5
