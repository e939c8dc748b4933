"""RCAN and the frozen SR pre-processing (paper 003 Sec. III-B.1)."""
import pytest
import torch
import torch.nn.functional as F

from mmdenoise.denoiserep import attach_denoisers
from mmdenoise.models.dgrl import RCAN, FrozenSuperResolution
from mmdenoise.models.dgrl.rcan import RCAB, ResidualGroup
from dgrl_test_utils import TINY_RCAN


@pytest.mark.parametrize('scale', [2, 3, 4])
def test_rcan_upsamples_by_its_scale(scale):
    torch.manual_seed(0)
    rcan = RCAN(scale=scale, n_resgroups=2, n_resblocks=3, n_feats=8, reduction=4)
    out = rcan(torch.rand(2, 3, 6, 5) * 255)
    assert out.shape == (2, 3, 6 * scale, 5 * scale)
    assert sum(isinstance(m, ResidualGroup) for m in rcan.modules()) == 2
    assert sum(isinstance(m, RCAB) for m in rcan.modules()) == 6
    assert rcan.head[0].out_channels == 8


def test_rcan_residual_in_residual_and_mean_shift():
    """All convolutions zero: every residual adds nothing and the output is the mean image."""
    rcan = RCAN(scale=2, n_resgroups=1, n_resblocks=1, n_feats=8, reduction=4)
    for p in rcan.parameters():
        torch.nn.init.zeros_(p)
    out = rcan(torch.rand(1, 3, 4, 4) * 255)
    torch.testing.assert_close(out, rcan.mean.expand(1, 3, 8, 8))


def test_rcan_rejects_bad_scale():
    with pytest.raises(ValueError, match='power of 2 or 3'):
        RCAN(scale=5)


def test_bicubic_fallback_without_weights():
    sr = FrozenSuperResolution(scale=2, network=TINY_RCAN, weights=None)
    assert not sr.uses_network and not list(sr.parameters())
    x = torch.rand(2, 3, 16, 8) * 255
    low = F.interpolate(x, size=(8, 4), mode='area')
    expected = F.interpolate(low, scale_factor=2, mode='bicubic', align_corners=False)
    torch.testing.assert_close(sr(x), expected.clamp(0, 255))


def test_sr_network_loads_weights_and_stays_frozen(rcan_weights):
    path, state = rcan_weights
    sr = FrozenSuperResolution(scale=2, network=TINY_RCAN, weights=path)
    assert sr.uses_network
    sr.init_weights()  # the authors' sub_mean / add_mean keys are dropped, the rest is strict
    for key, value in state.items():
        torch.testing.assert_close(sr.network.state_dict()[key], value, rtol=0, atol=0)
    assert not any(p.requires_grad for p in sr.parameters())
    sr.train()
    assert not any(m.training for m in sr.modules())
    x = (torch.rand(1, 3, 16, 8) * 255).requires_grad_()
    out = sr(x)
    assert out.shape == x.shape and not out.requires_grad
    expected = sr.network(F.interpolate(x.detach(), size=(8, 4), mode='area')).clamp(0, 255)
    torch.testing.assert_close(out, expected)


def test_sr_refuses_a_wrong_file_and_a_scale_mismatch(tmp_path):
    bad = tmp_path / 'bad.pth'
    torch.save({'head.0.weight': torch.zeros(1)}, bad)
    sr = FrozenSuperResolution(scale=2, network=TINY_RCAN, weights=str(bad))
    with pytest.raises(RuntimeError, match='Missing key'):
        sr.init_weights()
    with pytest.raises(ValueError, match='up-samples x2, the stage x4'):
        FrozenSuperResolution(scale=4, network=TINY_RCAN, weights=str(bad))


def test_sr_refuses_denoisers(rcan_weights):
    sr = FrozenSuperResolution(scale=2, network=TINY_RCAN, weights=rcan_weights[0])
    attach_denoisers(sr, layer_types=('Conv2d', ), include=[r'network\.head'])
    with pytest.raises(RuntimeError, match='frozen pre-processing'):
        sr(torch.rand(1, 3, 8, 8))
