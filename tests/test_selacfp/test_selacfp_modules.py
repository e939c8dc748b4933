"""The 2-D DCT basis, the Local Attention Module and IFPEM (paper 002, sections 2.2-2.3)."""
import pytest
import torch
import torch.nn.functional as F

from mmdenoise.models.selacfp import (InterModalFeaturePerceptionEnhancement,
                                      LocalAttentionModule, dct_basis_2d, dct_filters,
                                      select_frequencies)


# ---------------------------------------------------------------------- DCT
@pytest.mark.parametrize('height,width', [(4, 8), (7, 7), (3, 5)])
def test_dct_basis_is_orthonormal(height, width):
    basis = torch.stack([
        dct_basis_2d(u, v, height, width).flatten() for u in range(height)
        for v in range(width)
    ])
    gram = basis @ basis.t()
    torch.testing.assert_close(gram, torch.eye(height * width, dtype=torch.float64), rtol=0,
                               atol=1e-12)


def test_dc_filter_is_scaled_average_pooling():
    x = torch.randn(2, 4, 3, 5)
    pooled = (x * dct_filters(4, 3, 5, [(0, 0)])).sum((2, 3))
    torch.testing.assert_close(pooled, x.mean((2, 3)) * 15**0.5)


def test_dct_filters_give_each_channel_group_its_frequency():
    pairs = select_frequencies('top4')
    assert pairs == [(0, 0), (0, 1), (6, 0), (0, 5)]  # FcaNet's four best frequencies
    filters = dct_filters(8, 14, 14, 'top4')
    assert filters.shape == (8, 14, 14)
    for group, (u, v) in enumerate(pairs):
        expected = dct_basis_2d(2 * u, 2 * v, 14, 14).float()  # 7x7 grid scaled to 14x14
        for channel in (2 * group, 2 * group + 1):
            torch.testing.assert_close(filters[channel], expected)


@pytest.mark.parametrize('selection,message', [
    ('top33', 'count in 1..32'),
    ('mid4', "'top'/'low'/'bot'"),
    ([(7, 0)], '0 <= u, v < 7'),
])
def test_bad_frequency_selection(selection, message):
    with pytest.raises(ValueError, match=message):
        select_frequencies(selection)


def test_channels_must_split_into_frequency_groups():
    with pytest.raises(ValueError, match='24 channels cannot be split into 16'):
        dct_filters(24, 7, 7, 'top16')


# ---------------------------------------------------------------------- LAM
def _lam(**kwargs):
    torch.manual_seed(0)
    cfg = dict(channels=32, num_parts=3, dct_size=(2, 4), frequencies='top16', reduction=8)
    cfg.update(kwargs)
    return LocalAttentionModule(**cfg)


@pytest.mark.parametrize('split_dim,shape', [('height', (2, 32, 7, 4)), ('width', (2, 32, 4, 9))])
def test_lam_with_uniform_attention_reproduces_its_input(split_dim, shape):
    lam = _lam(split_dim=split_dim)
    x = torch.randn(shape)  # 7 rows / 9 columns: unequal regions
    out = lam.reconstruct(x, torch.ones(2, 3, 32))
    assert torch.equal(out, x)


def test_lam_weights_each_region_with_its_own_attention():
    lam = _lam()
    x = torch.randn(2, 32, 6, 4)
    attention = torch.rand(2, 3, 32)
    out = lam.reconstruct(x, attention)
    for part in range(3):
        rows = slice(2 * part, 2 * part + 2)
        torch.testing.assert_close(out[:, :, rows], x[:, :, rows] * attention[:, part, :, None,
                                                                               None])


@pytest.mark.parametrize('share', [True, False])
def test_lam_forward_is_per_region_dct_channel_attention(share):
    lam = _lam(share_excitation=share, dct_size=(3, 4))
    assert len(lam.excitations) == (1 if share else 3)
    x = torch.randn(2, 32, 6, 4)  # 2-row regions, pooled up to the 3x4 DCT size
    expected = []
    for part in range(3):
        region = x[:, :, 2 * part:2 * part + 2]
        pooled = (F.adaptive_avg_pool2d(region, (3, 4)) * dct_filters(32, 3, 4)).sum((2, 3))
        weights = torch.sigmoid(lam.excitations[0 if share else part](pooled))
        expected.append(region * weights[:, :, None, None])
    torch.testing.assert_close(lam(x), torch.cat(expected, dim=2))
    assert 'dct_weight' not in lam.state_dict()  # a fixed buffer, rebuilt from the config


def test_lam_rejects_bad_inputs():
    lam = _lam()
    with pytest.raises(ValueError, match=r'expects \(B, 32, H, W\)'):
        lam(torch.randn(1, 16, 6, 4))
    with pytest.raises(ValueError, match='cannot split a height of 2 into 3 regions'):
        lam(torch.randn(1, 32, 2, 4))
    with pytest.raises(ValueError, match="split_dim must be 'height' or 'width'"):
        _lam(split_dim='depth')


# ---------------------------------------------------------------------- IFPEM
def test_ifpem_layout_and_shapes():
    torch.manual_seed(0)
    ifpem = InterModalFeaturePerceptionEnhancement(32, 64).eval()
    assert ifpem.low_proj.conv.out_channels == 64 and ifpem.low_proj.conv.kernel_size == (1, 1)
    assert ifpem.high_proj.conv.out_channels == 256 and ifpem.high_proj.conv.kernel_size == (1, 1)
    kernels = [m.conv.kernel_size for m in ifpem.fuse[:2]] + [ifpem.fuse[2].kernel_size]
    assert kernels == [(3, 3), (3, 3), (1, 1)] and ifpem.fuse[2].out_channels == 1
    low, high = torch.randn(2, 32, 8, 4), torch.randn(2, 64, 4, 2)
    assert ifpem.attention_logits(low, high).shape == (2, 1, 8, 4)  # low-level resolution
    assert ifpem(low, high).shape == (2, 64, 4, 2)
    same = torch.randn(2, 64, 8, 4)
    assert ifpem(low, same).shape == (2, 64, 8, 4)


@pytest.mark.parametrize('residual,scale', [(True, 1.5), (False, 0.5)])
def test_ifpem_reweights_the_high_level_map(residual, scale):
    ifpem = InterModalFeaturePerceptionEnhancement(16, 32, 8, 16, (8, 8), residual=residual)
    ifpem.eval()
    with torch.no_grad():  # logits 0 everywhere: gate sigmoid(0) = 0.5
        ifpem.fuse[2].weight.zero_()
        ifpem.fuse[2].bias.zero_()
    high = torch.randn(2, 32, 4, 2)
    torch.testing.assert_close(ifpem(torch.randn(2, 16, 8, 4), high), high * scale)
    with torch.no_grad():
        ifpem.fuse[2].bias.fill_(30.0)  # gate ~1 at the low resolution, resized
    torch.testing.assert_close(
        ifpem(torch.randn(2, 16, 8, 4), high), high * (2.0 if residual else 1.0))


def test_ifpem_rejects_bad_inputs():
    ifpem = InterModalFeaturePerceptionEnhancement(16, 32, 8, 16, (8, 8))
    with pytest.raises(ValueError, match=r'low-level map must be \(B, 16, H, W\)'):
        ifpem(torch.randn(2, 8, 8, 4), torch.randn(2, 32, 4, 2))
    with pytest.raises(ValueError, match='batch sizes differ'):
        ifpem(torch.randn(2, 16, 8, 4), torch.randn(3, 32, 4, 2))
