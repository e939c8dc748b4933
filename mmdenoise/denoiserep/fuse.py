"""Exact fusion of the denoisers into their layers (FEFDFA), in float64.

One reverse step at ``t`` on a feature ``y`` is affine:
``y' = c3 y - c1 (Wd (y + e(t)) + bd) = A_t y + a_t`` with ``A_t = c3(t) I - c1(t) Wd`` and
``a_t = -c1(t) (Wd e(t) + bd)`` (``+ sigma_t z_t`` with the optional noise term). ``A_t`` is
block-diagonal like ``Wd``. ``k`` steps ``t, ..., t-k+1`` compose to ``y' = A y + a`` with
``A = A_{t-k+1} ... A_t`` and ``a`` accumulated the same way.

Output side (``y = W x + b`` then the steps):
  Linear ``W' = A W``; Conv2d ``W'[o, i, :, :] = sum_j A[o, j] W[j, i, :, :]`` (per group);
  ``b' = A b + a``.
Input side (the steps on ``x``, then the layer):
  ``W' = W A`` (per group for convs), ``b' = b + W a`` where for a conv ``W a`` sums the kernel:
  ``(W a)[o] = sum_{i, u, v} W[o, i, u, v] a[i]`` (exact without zero padding).
Bias-free layers: the constant (``a``, resp. ``W a``) goes into the running mean of the
BatchNorm that follows (``mu' = mu - a``, exact in eval mode); constant-free denoisers have
``a = 0``. No key is ever added: the result has the original classes, keys and shapes.
"""
import copy
import warnings
from typing import Optional, Tuple

import torch
from torch import nn

from .attach import find_denoised_layers, remove_denoise_hooks
from .denoisers import LayerDenoiser
from .modes import clear_training_mode
from .selection import resolve_relative

META_ATTR = '_denoiserep_fuse_meta'
_F64 = torch.float64


def step_affine_map(denoiser: LayerDenoiser, t: int,
                    noise: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(A_t, a_t)`` of one reverse step in float64; ``A_t`` as ``(groups, cb, cb)`` blocks."""
    g, cb = denoiser.groups, denoiser.channels // denoiser.groups
    c1, c3 = denoiser.schedule.coefficients(t)
    a_mat = denoiser.wd.detach().to(_F64).view(g, cb, cb) * (-c1)
    a_mat.diagonal(dim1=-2, dim2=-1).add_(c3)
    const = denoiser.constant(t, _F64)
    a_vec = (a_mat.new_zeros(denoiser.channels) if const is None else -c1 * const.detach())
    if noise is not None:
        a_vec = a_vec + denoiser.schedule.sigma(t).item() * noise.to(a_vec)
    return a_mat, a_vec


def step_affine_maps(denoiser: LayerDenoiser, generator: Optional[torch.Generator] = None):
    """``[(A_t, a_t)]`` for the steps of ``denoiser`` in the order they are applied.

    With a ``generator``, the noise term ``sigma_t z_t`` (``z_t ~ N(0, I)`` per channel, drawn
    on the CPU in float64, one vector per step in step order) is added to each ``a_t``.
    """
    maps = []
    with torch.no_grad():
        for t in denoiser.steps:
            z = None
            if generator is not None:
                z = torch.randn(denoiser.channels, generator=generator, dtype=_F64)
            maps.append(step_affine_map(denoiser, t, z))
    return maps


def compose_affine_maps(maps) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(A, a)`` of the maps applied in order: ``A = A_k ... A_1``, ``a`` accumulated alike."""
    mat, vec = maps[0]
    for a_mat, a_vec in maps[1:]:
        mat = torch.bmm(a_mat, mat)
        vec = blockdiag_apply(a_mat, vec) + a_vec
    return mat, vec


def denoiser_affine_map(denoiser: LayerDenoiser, generator: Optional[torch.Generator] = None
                        ) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(A, a)`` of all the steps of ``denoiser`` composed (float64, blocks ``(g, cb, cb)``)."""
    return compose_affine_maps(step_affine_maps(denoiser, generator))


def blockdiag_apply(blocks: torch.Tensor, vec: torch.Tensor) -> torch.Tensor:
    """``A v`` for block-diagonal ``A`` given as ``(g, cb, cb)`` and ``v`` of size ``g * cb``."""
    g, cb, _ = blocks.shape
    return torch.bmm(blocks, vec.view(g, cb, 1)).view(-1)


def _accumulate_vector(maps) -> torch.Tensor:
    vec = maps[0][1]
    for a_mat, a_vec in maps[1:]:
        vec = blockdiag_apply(a_mat, vec) + a_vec
    return vec


def fused_parameters(layer: nn.Module, generator: Optional[torch.Generator] = None):
    """``(W', b', c)`` in float64 for a denoised layer.

    ``b'`` is None for a bias-free layer, whose constant ``c`` (per output channel) must then go
    elsewhere (``c`` is None for layers with bias). The step matrices are either composed first
    or applied to ``W`` one by one, whichever costs fewer multiplications (same algebra).
    """
    denoiser = layer.denoiser
    maps = step_affine_maps(denoiser, generator)
    g = denoiser.groups
    cb = denoiser.channels // g
    vec = _accumulate_vector(maps)
    weight = layer.weight.detach().to(_F64)
    bias = None if layer.bias is None else layer.bias.detach().to(_F64)
    out_ch, in_per_group = weight.shape[0], weight.shape[1]
    if denoiser.side == 'output':
        # W viewed (g, out/g, in/g * K); W' = A_k (... (A_1 W)) inside each group.
        mats = weight.reshape(g, out_ch // g, -1)
        if len(maps) > 1 and mats.shape[-1] > cb:
            mats = torch.bmm(compose_affine_maps(maps)[0], mats)
        else:
            for a_mat, _ in maps:
                mats = torch.bmm(a_mat, mats)
        new_w = mats.reshape(weight.shape)
        const = vec
        new_b = None
        if bias is not None:
            new_b = bias
            for a_mat, a_vec in maps:
                new_b = blockdiag_apply(a_mat, new_b) + a_vec
    else:
        # W viewed (g, out/g, in/g, K); W' = W A = ((W A_k) A_{k-1}) ... A_1 inside each group.
        w4 = weight.reshape(g, out_ch // g, in_per_group, -1)
        mats = w4
        for a_mat, _ in reversed(maps):
            mats = torch.einsum('gojk,gji->goik', mats, a_mat)
        new_w = mats.reshape(weight.shape)
        const = torch.einsum('gojk,gj->go', w4, vec.view(g, cb)).reshape(-1)
        new_b = None if bias is None else bias + const
    return new_w, new_b, (const if bias is None else None)


def _layer_meta(name: str, layer: nn.Module, norm: Optional[str]) -> dict:
    d = layer.denoiser
    return dict(name=name, type=type(layer).__name__, steps=list(d.steps), side=d.side,
                constant='none' if d.constant_free else ('batchnorm' if norm else 'bias'),
                norm=norm, schedule=d.schedule.to_dict())


def switch_to_deploy(model: nn.Module, noise: bool = False, seed: Optional[int] = None) -> dict:
    """Fuse every denoiser of ``model`` into its layer, in place (mmpretrain convention).

    Afterwards ``model`` has exactly its original module classes, state-dict keys and shapes:
    the weights (and biases, BatchNorm running means where constants were folded) hold the
    fused values, denoisers and hooks are gone, the training-mode state is cleared, and
    ``model._denoiserep_fuse_meta`` records what was done (returned as well).

    Args:
        noise: fold the paper's ``sigma_t z`` term into the constants (random deploy weights);
            requires ``seed``, which is recorded in the meta.
        seed: seed of the CPU generator that draws ``z``.

    Raises:
        RuntimeError: the model has no denoisers (never attached, or already fused).
    """
    layers = find_denoised_layers(model)
    if not layers:
        if is_fused(model):
            raise RuntimeError('the model is already fused (it carries _denoiserep_fuse_meta and '
                               'no denoisers); fusing again would compound the denoising')
        raise RuntimeError('the model has no denoisers to fuse (attach_denoisers was never '
                           'called on it, or it is a plain/fused model)')
    if noise and seed is None:
        raise ValueError('fuse(noise=True) needs an explicit seed so that the deploy weights '
                         'are reproducible')
    generator = torch.Generator().manual_seed(int(seed)) if noise else None

    # Compute everything first (float64), then write: a failure leaves the model untouched.
    plans = []
    for name, layer in layers:
        d = layer.denoiser
        norm_name, norm = None, None
        if d.fold_norm is not None:
            try:
                norm_name = resolve_relative(name, d.fold_norm)
                norm = model.get_submodule(norm_name)
            except (ValueError, AttributeError) as err:
                raise RuntimeError(
                    f'{name}: its constant belongs to the BatchNorm {d.fold_norm[1]!r} '
                    f'({d.fold_norm[0]} level(s) up), which is not inside the module being '
                    'fused; fuse the model that contains both') from err
        new_w, new_b, const = fused_parameters(layer, generator)
        dropped = False
        if const is not None and norm is None:
            if d.constant_free and generator is None:
                if not const.is_meta and torch.count_nonzero(const):  # meta: nothing to check
                    raise RuntimeError(f'{name}: constant-free denoiser produced a non-zero '
                                       'constant')
            else:
                dropped = True  # the noise term of a bias-free layer without BatchNorm
        plans.append((name, layer, norm_name, norm, new_w, new_b, const, dropped))

    meta_layers, dropped_names = [], []
    with torch.no_grad():
        for name, layer, norm_name, norm, new_w, new_b, const, dropped in plans:
            meta_layers.append(_layer_meta(name, layer, norm_name))
            layer.weight.copy_(new_w.to(layer.weight.dtype))
            if new_b is not None:
                layer.bias.copy_(new_b.to(layer.bias.dtype))
            if const is not None and norm is not None:
                rm = norm.running_mean
                rm.copy_((rm.to(_F64) - const.to(rm.device)).to(rm.dtype))
            if dropped:
                dropped_names.append(name)
            del layer._modules['denoiser']
            remove_denoise_hooks(layer)
    clear_training_mode(model)
    if dropped_names:
        warnings.warn(f'noise term not folded into {len(dropped_names)} bias-free layer(s) '
                      f'without BatchNorm (no place for a constant): {dropped_names}')
    schedules = [m['schedule'] for m in meta_layers]
    meta = dict(noise=bool(noise), seed=None if seed is None else int(seed),
                schedule=schedules[0] if all(s == schedules[0] for s in schedules) else None,
                num_layers=len(meta_layers), layers=meta_layers,
                noise_not_folded=dropped_names)
    model.__dict__[META_ATTR] = meta
    return meta


def fuse(model: nn.Module, noise: bool = False, seed: Optional[int] = None) -> nn.Module:
    """A fused deep copy of ``model``; ``model`` itself is left untouched.

    See :func:`switch_to_deploy`. The meta is on the result as ``_denoiserep_fuse_meta``.
    """
    if not find_denoised_layers(model):
        switch_to_deploy(model, noise, seed)  # raises the appropriate error
    if noise and seed is None:
        raise ValueError('fuse(noise=True) needs an explicit seed so that the deploy weights '
                         'are reproducible')
    plain = copy.deepcopy(model)
    switch_to_deploy(plain, noise, seed)
    return plain


def is_fused(model: nn.Module) -> bool:
    """True if ``model`` (or a submodule) was fused by this package and holds no denoiser."""
    if find_denoised_layers(model):
        return False
    return any(META_ATTR in m.__dict__ for m in model.modules())


def fuse_layer(layer: nn.Module, noise: bool = False, seed: Optional[int] = None) -> nn.Module:
    """A new plain ``nn.Linear`` / ``nn.Conv2d``-class copy of one denoised layer, fused.

    For timm-style ``reparameterize`` of a single layer. Layers whose constant belongs to a
    BatchNorm need the whole model: use :func:`fuse` / :func:`switch_to_deploy` for them.
    """
    denoiser = layer._modules.get('denoiser')
    if not isinstance(denoiser, LayerDenoiser):
        raise RuntimeError(f'{type(layer).__name__} has no denoiser to fuse')
    if denoiser.fold_norm is not None:
        raise RuntimeError(f'{denoiser.layer_name}: its constant is folded into a BatchNorm; '
                           'fuse the whole model with fuse()/switch_to_deploy()')
    wrapper = nn.Module()
    wrapper.add_module('layer', copy.deepcopy(layer))
    switch_to_deploy(wrapper, noise, seed)
    return wrapper.layer
