"""Helpers for tests and benchmarks: make denoisers look trained, compare outputs."""
from typing import Optional

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from .denoisers import NoisePredictor


def perturb_denoisers(model: nn.Module, seed: int = 0, scale: float = 1.0) -> nn.Module:
    """Give every denoiser of ``model`` non-trivial ("trained-looking") parameters, in place.

    ``Wd ~ N(0, scale^2 / cb)`` (cb = block size), ``bd ~ N(0, scale^2)`` and every time-MLP
    weight and bias random, so that ``e(t) != 0``. Deterministic for a given ``seed``.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if not isinstance(module, NoisePredictor):
                continue
            for name, param in module.named_parameters(recurse=False):
                std = scale
                if name == 'wd':
                    std = scale / param.shape[1]**0.5
                elif name in ('time_w1', 'time_w2'):
                    std = scale / param.shape[1]**0.5
                value = torch.randn(param.shape, generator=gen, dtype=torch.float32) * std
                param.copy_(value.to(param))
    return model


def randomize_bn_stats(model: nn.Module, seed: int = 0) -> nn.Module:
    """Random BatchNorm running statistics and affine parameters (in place, deterministic)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, _BatchNorm) and module.running_mean is not None:
                n = module.num_features

                def rand(lo, hi):
                    return torch.rand(n, generator=gen, dtype=torch.float64) * (hi - lo) + lo

                module.running_mean.copy_(
                    (torch.randn(n, generator=gen, dtype=torch.float64) * 0.5).to(
                        module.running_mean))
                module.running_var.copy_(rand(0.5, 2.0).to(module.running_var))
                if module.affine:
                    module.weight.copy_(rand(0.5, 1.5).to(module.weight))
                    module.bias.copy_(
                        (torch.randn(n, generator=gen, dtype=torch.float64) * 0.1).to(
                            module.bias))
    return model


def flatten_outputs(out) -> list:
    """The tensors of a (nested) model output, in a fixed order."""
    if torch.is_tensor(out):
        return [out]
    if isinstance(out, dict):
        return [t for k in sorted(out) for t in flatten_outputs(out[k])]
    if isinstance(out, (list, tuple)):
        return [t for item in out for t in flatten_outputs(item)]
    return []


def max_rel_error(out, ref, eps: Optional[float] = None) -> float:
    """``max|out - ref| / max|ref|`` over all tensors of two (nested) outputs; ``inf`` when
    either holds a NaN or an infinity."""
    outs, refs = flatten_outputs(out), flatten_outputs(ref)
    if len(outs) != len(refs) or not refs:
        raise ValueError(f'outputs differ in structure: {len(outs)} vs {len(refs)} tensors')
    pairs = [(a.double(), b.double()) for a, b in zip(outs, refs)]
    if any(not (bool(torch.isfinite(a).all()) and bool(torch.isfinite(b).all()))
           for a, b in pairs):
        return float('inf')  # a NaN is never "close" (Python's max() would skip it)
    diff = max(float((a - b).abs().max()) for a, b in pairs)
    scale = max(float(b.abs().max()) for _, b in pairs)
    return diff / max(scale, eps or torch.finfo(torch.float64).tiny)
