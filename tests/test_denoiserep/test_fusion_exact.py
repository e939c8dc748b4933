"""Fused layer == "layer, then its k denoising steps", for every layer kind, both sides."""
import copy

import pytest
import torch
from torch import nn

from mmdenoise.denoiserep import (attach_denoisers, denoiser_affine_map, find_denoised_layers,
                                  fuse)
from mmdenoise.denoiserep.testing import max_rel_error, perturb_denoisers, randomize_bn_stats

# Large betas: the reverse steps change features a lot, so any algebra slip shows.
SCHED = dict(num_steps=12, beta_start=0.05, beta_end=0.3)
TOL = {torch.float32: 1e-5, torch.float64: 1e-10}

LAYERS = {
    'linear': lambda bias: nn.Linear(12, 16, bias=bias),
    'conv1x1': lambda bias: nn.Conv2d(6, 8, 1, bias=bias),
    'conv3x3_s2_p1': lambda bias: nn.Conv2d(6, 8, 3, stride=2, padding=1, bias=bias),
    'dilated': lambda bias: nn.Conv2d(6, 8, 3, padding=2, dilation=2, bias=bias),
    'grouped': lambda bias: nn.Conv2d(8, 12, 3, padding=1, groups=4, bias=bias),
    'depthwise': lambda bias: nn.Conv2d(8, 16, 3, padding=1, groups=8, bias=bias),
    'conv3x3_nopad': lambda bias: nn.Conv2d(6, 8, 3, stride=2, bias=bias),
    'depthwise_nopad': lambda bias: nn.Conv2d(8, 8, 3, groups=8, bias=bias),
    'reflect_pad': lambda bias: nn.Conv2d(6, 8, 3, padding=1, padding_mode='reflect', bias=bias),
}
PADDED = {'conv3x3_s2_p1', 'dilated', 'grouped', 'depthwise'}


def make_model(kind: str, constant: str) -> nn.Module:
    """The layer alone, or followed by a BatchNorm when a bias-free layer folds into it."""
    layer = LAYERS[kind](constant == 'bias')
    if constant != 'fold_bn':
        return nn.Sequential(layer)
    channels = layer.out_features if isinstance(layer, nn.Linear) else layer.out_channels
    bn = nn.BatchNorm1d(channels) if isinstance(layer, nn.Linear) else nn.BatchNorm2d(channels)
    return nn.Sequential(layer, bn)


def example_input(kind: str, dtype) -> torch.Tensor:
    layer = LAYERS[kind](True)
    if isinstance(layer, nn.Linear):
        return torch.randn(5, 12, dtype=dtype)
    return torch.randn(2, layer.in_channels, 9, 11, dtype=dtype)


def manual_steps(denoiser, y):
    """The k reverse steps applied one by one, independently of the hooks."""
    for t in denoiser.steps:
        y = denoiser.schedule.c3(t).item() * y - denoiser.schedule.c1(t).item() * denoiser(y, t)
    return y


def reference(plain: nn.Sequential, attached: nn.Sequential, x: torch.Tensor, side: str):
    """Original layer (weights of ``plain``) with the denoising steps of ``attached``."""
    layer, denoiser = plain[0], attached[0].denoiser
    if side == 'output':
        y = manual_steps(denoiser, layer(x))
    else:
        y = layer(manual_steps(denoiser, x))
    return plain[1](y) if len(plain) > 1 else y


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64], ids=['f32', 'f64'])
@pytest.mark.parametrize('side', ['output', 'input'])
@pytest.mark.parametrize('k', [1, 2, 3])
@pytest.mark.parametrize('constant', ['bias', 'fold_bn', 'constant_free'])
@pytest.mark.parametrize('kind', list(LAYERS))
def test_fused_equals_layer_then_steps(kind, constant, k, side, dtype):
    torch.manual_seed(0)
    model = make_model(kind, constant).to(dtype)
    randomize_bn_stats(model, seed=1)
    plain = copy.deepcopy(model).eval()
    kwargs = dict(steps_per_layer=k, side=side, schedule=SCHED, time_embed_dim=16,
                  bias_free='constant_free' if constant == 'constant_free' else 'auto',
                  example_inputs=example_input(kind, dtype))
    if side == 'input' and kind in PADDED:
        with pytest.raises(ValueError, match="'0'.*zero-padded"):
            attach_denoisers(model, **kwargs)
        assert not find_denoised_layers(model)  # nothing attached on error
        return
    records = attach_denoisers(model, **kwargs)
    assert records[0].steps == tuple(range(k, 0, -1))
    assert records[0].constant == {'bias': 'bias', 'fold_bn': 'batchnorm',
                                   'constant_free': 'none'}[constant]
    perturb_denoisers(model, seed=2, scale=0.5)
    model.eval()
    x = example_input(kind, dtype)
    with torch.no_grad():
        ref = reference(plain, model, x, side)
        unfused = model(x)
        fused = fuse(model)(x)
        original = plain(x)
    assert max_rel_error(original, ref) > 1e-2  # the denoisers really act
    assert max_rel_error(unfused, ref) <= TOL[dtype]
    assert max_rel_error(fused, ref) <= TOL[dtype]


@pytest.mark.parametrize('groups', [1, 3, 12])
@pytest.mark.parametrize('k', [1, 2, 3, 5])
def test_composed_map_equals_steps_one_by_one(groups, k):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(12, 12, 1, groups=groups)).double()
    attach_denoisers(model, steps_per_layer=k, schedule=SCHED, time_embed_dim=16)
    perturb_denoisers(model, seed=3)
    d = model[0].denoiser
    mat, vec = denoiser_affine_map(d)
    dense = torch.block_diag(*mat)
    y = torch.randn(4, 12, 3, 3, dtype=torch.float64)
    stepwise = y
    for t in d.steps:
        stepwise = d.reverse_step(stepwise, t)
    composed = torch.einsum('oc,nchw->nohw', dense, y) + vec.view(1, -1, 1, 1)
    assert max_rel_error(composed, stepwise) <= 1e-12
    assert torch.equal(d.denoise(y), stepwise)
    # off-block entries are structurally zero: the group structure survives
    mask = torch.block_diag(*[torch.ones(12 // groups, 12 // groups)] * groups).bool()
    assert torch.count_nonzero(dense[~mask]) == 0


def test_constant_free_denoiser_has_zero_constant():
    model = nn.Sequential(nn.Conv2d(4, 6, 3, padding=1, bias=False))
    records = attach_denoisers(model, schedule=SCHED, steps_per_layer=3)
    assert records[0].constant == 'none'
    perturb_denoisers(model)
    _, vec = denoiser_affine_map(model[0].denoiser)
    assert torch.count_nonzero(vec) == 0
    fused = fuse(model)
    assert fused[0].bias is None
    assert set(fused.state_dict()) == {'0.weight'}
