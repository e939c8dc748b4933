"""Mixed precision and activation checkpointing: the denoisers train on what fusion folds."""
import copy
import warnings

import pytest
import torch
from torch import nn

from mmdenoise.denoiserep import (attach_denoisers, collect_noise_losses, find_denoised_layers,
                                  fuse, set_training_mode)
from mmdenoise.denoiserep.denoisers import NoisePredictor
from mmdenoise.denoiserep.testing import max_rel_error, perturb_denoisers

SCHED = dict(num_steps=1000, beta_start=1e-4, beta_end=2e-3)


@pytest.mark.parametrize('t', [24, 900])
def test_time_embedding_stays_float32_under_bf16_autocast(t):
    torch.manual_seed(0)
    pred = NoisePredictor(16, time_embed_dim=32)
    perturb_denoisers(nn.ModuleList([pred]), seed=1)
    reference = pred.constant(t, torch.float64)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        const = pred.constant(t, torch.bfloat16)
        y = torch.randn(4, 16).to(torch.bfloat16)
        out = pred(y, t)
    assert const.dtype == torch.bfloat16 and out.dtype == torch.bfloat16
    # only the final cast to bf16 rounds (relative 2^-8); a bf16 sinusoid of a bf16 step
    # (896 for 900) is off by O(1)
    assert max_rel_error(const.double(), reference) <= 8e-3
    expected = y.double() @ pred.wd.double().t() + reference
    assert max_rel_error(out.double(), expected) <= 3e-2


def test_fused_equals_unfused_after_a_bf16_amp_training_step():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 4))
    attach_denoisers(model, schedule=SCHED, example_inputs=torch.randn(2, 8))
    perturb_denoisers(model, seed=1)
    set_training_mode(model, 'label_augmented')
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x = torch.randn(32, 8)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        task = model(x).float().pow(2).mean()
        noise = collect_noise_losses(model)['loss_denoise']
    (task + noise).backward()
    opt.step()
    model.eval()
    with torch.no_grad():
        assert max_rel_error(fuse(model)(x), model(x)) <= 1e-5
        with torch.autocast('cpu', dtype=torch.bfloat16):  # the unfused AMP eval path too
            amp = model(x).float()
        assert max_rel_error(amp, fuse(model)(x)) <= 5e-2


def _resnet(with_cp):
    mmpretrain = pytest.importorskip('mmpretrain.models')
    torch.manual_seed(0)
    model = mmpretrain.ResNet(18, base_channels=8, stem_channels=8, with_cp=with_cp)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        attach_denoisers(model, layer_types='Conv2d', include=r'^layer[12]\.',
                         example_inputs=torch.randn(1, 3, 32, 32))
    perturb_denoisers(model, seed=1)
    set_training_mode(model, 'label_augmented')
    return model.train()


def test_activation_checkpointing_records_each_noise_loss_once():
    losses, grads = {}, {}
    for with_cp in (False, True):
        model = _resnet(with_cp)
        torch.manual_seed(3)
        x = torch.randn(2, 3, 32, 32)
        task = model(x)[-1].pow(2).mean()
        pending = {n: len(l.denoiser._pending_losses) for n, l in find_denoised_layers(model)}
        task.backward()  # the recompute of each checkpointed block happens here
        after = {n: len(l.denoiser._pending_losses) for n, l in find_denoised_layers(model)}
        assert after == pending and set(after.values()) == {1}, (with_cp, after)
        noise = collect_noise_losses(model)
        losses[with_cp] = {k: v.item() for k, v in noise['per_layer'].items()}
        grads[with_cp] = model.layer1[0].conv1.weight.grad.clone()
        assert not any(l.denoiser._pending_losses for _, l in find_denoised_layers(model))
    assert losses[True] == losses[False]  # the same draws: the recompute kept the RNG stream
    assert torch.allclose(grads[True], grads[False], rtol=1e-5, atol=1e-7)
