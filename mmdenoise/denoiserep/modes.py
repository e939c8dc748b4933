"""Training modes of a model with denoisers, and collecting the noise losses.

===================  ===================  =====================  ====================  ===========
mode                 non-denoiser params  non-denoiser modules   denoiser params       layer output
===================  ===================  =====================  ====================  ===========
``label_free``       frozen               kept in eval mode      trainable, loss       original
``label_augmented``  as before (*)        as ``model.train()``   trainable, loss       denoised
``denoiser``         frozen               kept in eval mode      trainable, loss       denoised
``backbone``         as before (*)        as ``model.train()``   frozen, no loss       denoised
===================  ===================  =====================  ====================  ===========

(*) untouched; when leaving a frozen-backbone mode, the flags the model had before it was
frozen are restored (so stages an upstream backbone freezes stay frozen).

"Denoised" is the ``k`` deterministic reverse steps of each layer, i.e. what the fused layer
computes. In eval mode every denoised layer returns its denoised output, whatever the mode.

The mode is kept across ``model.train()`` / ``model.eval()``: :func:`set_training_mode` stores a
small callable as the instance attribute ``train`` of ``model`` that calls the class's own
``train()`` (so upstream logic such as ``ResNet._freeze_stages`` still runs) and then re-applies
the mode. Wrappers that call ``train()`` on an inner module only can call
:func:`apply_training_mode` themselves.
"""
from typing import Dict

import torch
from torch import nn

from .attach import find_denoised_layers
from .denoisers import TRAINING_MODES

_FROZEN_BACKBONE = ('label_free', 'denoiser')
MODE_ATTR = '_denoiserep_mode'
GRAD_ATTR = '_denoiserep_requires_grad'


class ModeKeepingTrain:
    """Instance-level ``train`` of a model in a DenoiseRep training mode (picklable)."""

    def __init__(self, module: nn.Module):
        self.module = module

    def __call__(self, mode: bool = True) -> nn.Module:
        type(self.module).train(self.module, mode)
        apply_training_mode(self.module)
        return self.module


def _denoisers(model: nn.Module):
    return [layer.denoiser for _, layer in find_denoised_layers(model)]


def set_training_mode(model: nn.Module, mode: str, detach_features: bool = True) -> nn.Module:
    """Put ``model`` (which holds denoisers) in a DenoiseRep training mode (see module doc).

    Args:
        model: the model (or the wrapper around it) that contains the denoised layers.
        mode: one of ``'label_free'``, ``'label_augmented'``, ``'denoiser'``, ``'backbone'``.
        detach_features: compute the noise loss on detached features (default), so the noise
            loss trains the denoisers only and never pushes the backbone features.
    """
    if mode not in TRAINING_MODES:
        raise ValueError(f'unknown training mode {mode!r}, expected one of {TRAINING_MODES}')
    denoisers = _denoisers(model)
    if not denoisers:
        raise RuntimeError('set_training_mode: the model has no denoisers; '
                           'call attach_denoisers first')
    model.__dict__[MODE_ATTR] = mode
    for d in denoisers:
        d.detach_features = bool(detach_features)
    if not isinstance(model.__dict__.get('train'), ModeKeepingTrain):
        model.__dict__['train'] = ModeKeepingTrain(model)
    model.train(model.training)
    return model


def get_training_mode(model: nn.Module):
    """The mode set by :func:`set_training_mode` on ``model`` (None if never set)."""
    return model.__dict__.get(MODE_ATTR)


def apply_training_mode(model: nn.Module) -> None:
    """Re-apply the stored mode: ``requires_grad`` flags, module train/eval flags, denoisers."""
    mode = model.__dict__.get(MODE_ATTR)
    if mode is None:
        return
    denoisers = _denoisers(model)
    ids = set()
    for d in denoisers:
        d.mode = mode
        for p in d.parameters():
            ids.add(id(p))
            p.requires_grad_(mode != 'backbone')
    others = [(name, p) for name, p in model.named_parameters() if id(p) not in ids]
    snapshot = model.__dict__.get(GRAD_ATTR)
    if mode in _FROZEN_BACKBONE:
        if snapshot is None:  # remember the flags we are about to override
            model.__dict__[GRAD_ATTR] = {name: p.requires_grad for name, p in others}
        for _, p in others:
            p.requires_grad_(False)
    elif snapshot is not None:  # leaving a frozen-backbone mode: restore the flags
        for name, p in others:
            p.requires_grad_(snapshot.get(name, p.requires_grad))
        del model.__dict__[GRAD_ATTR]
    if not model.training:
        return
    inside = {id(m) for d in denoisers for m in d.modules()}
    for module in model.modules():
        if id(module) in inside:
            module.training = mode != 'backbone'
        elif mode in _FROZEN_BACKBONE:
            module.training = False


def clear_training_mode(model: nn.Module) -> None:
    """Forget the mode stored on ``model`` and on every submodule (used by fusion).

    ``requires_grad`` flags overridden by a frozen-backbone mode are restored.
    """
    for module in model.modules():
        snapshot = module.__dict__.get(GRAD_ATTR)
        if snapshot:
            for name, p in module.named_parameters():
                if name in snapshot:
                    p.requires_grad_(snapshot[name])
        for attr in (MODE_ATTR, GRAD_ATTR):
            module.__dict__.pop(attr, None)
        if isinstance(module.__dict__.get('train'), ModeKeepingTrain):
            del module.__dict__['train']


def collect_noise_losses(model: nn.Module, reduction: str = 'mean') -> Dict[str, object]:
    """Pop the noise losses the denoisers recorded since the last call.

    Returns ``{'loss_denoise': total, 'per_layer': {layer_name: loss}}``; a layer called several
    times contributes the mean of its losses; ``total`` is the mean (or sum) over layers, a zero
    tensor (``requires_grad=True``) when nothing was recorded (eval mode, 'backbone' phase).
    """
    if reduction not in ('mean', 'sum'):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    per_layer = {}
    device, dtype = None, torch.float32
    for name, layer in find_denoised_layers(model):
        device, dtype = layer.denoiser.wd.device, layer.denoiser.wd.dtype
        losses = layer.denoiser.pop_losses()
        if losses:
            per_layer[name] = losses[0] if len(losses) == 1 else torch.stack(losses).mean()
    if not per_layer:
        total = torch.zeros((), device=device, dtype=dtype, requires_grad=True)
    else:
        values = list(per_layer.values())
        stacked = torch.stack([v.to(values[0].device) for v in values])
        total = stacked.mean() if reduction == 'mean' else stacked.sum()
    return {'loss_denoise': total, 'per_layer': per_layer}
