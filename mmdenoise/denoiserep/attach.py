"""Attaching denoisers to existing layers without renaming anything.

Each chosen ``nn.Linear`` / ``nn.Conv2d`` keeps its place and its parameter names; it gains

* a child ``denoiser`` (:class:`LayerDenoiser`), so the new keys are ``<layer>.denoiser.*`` and a
  plain checkpoint of the original model loads with only those keys missing;
* a forward hook (side ``'output'``) or forward-pre hook (side ``'input'``): module-level
  functions that look the denoiser up in the layer, so they survive ``copy.deepcopy``,
  ``torch.save`` of the whole model and ``load_state_dict``.

Steps: the ``N`` chosen layers, in order (execution order traced with ``example_inputs``, or
registration order), each take ``k = steps_per_layer`` consecutive steps; layer 1 (closest to the
input) takes ``N k, ..., (N-1) k + 1`` and layer ``N`` takes ``k, ..., 1``, so the cascade runs
``y_{Nk} -> ... -> y_0``.
"""
import warnings
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from torch import nn

from .denoisers import LayerDenoiser
from .schedule import DiffusionSchedule
from .selection import (check_affine_layer, check_bn_map_entry, out_channels, parent_of,
                        relative_path, resolve_relative, select_layers, trace_model)

BIAS_FREE_POLICIES = ('auto', 'fold_bn', 'constant_free')


@dataclass(frozen=True)
class DenoisedLayer:
    """What :func:`attach_denoisers` did to one layer."""
    name: str
    type: str
    steps: Tuple[int, ...]
    side: str
    channels: int
    groups: int
    constant: str  # 'bias' | 'batchnorm' | 'none'
    norm: Optional[str] = None  # full name of the BatchNorm taking the constant
    why_no_fold: Optional[str] = None  # bias-free, constant-free layers: why nothing folds


# ---------------------------------------------------------------------- hooks
def denoise_output_hook(layer: nn.Module, args, output):
    """Forward hook of a wrapped layer (side 'output')."""
    denoiser = layer._modules.get('denoiser')
    if not isinstance(denoiser, LayerDenoiser):
        return None
    return denoiser.process(output)


def denoise_input_hook(layer: nn.Module, args):
    """Forward-pre hook of a wrapped layer (side 'input')."""
    denoiser = layer._modules.get('denoiser')
    if not isinstance(denoiser, LayerDenoiser) or not args:
        return None
    new = denoiser.process(args[0])
    if new is args[0]:
        return None
    return (new, ) + tuple(args[1:])


_HOOK_DICTS = ('_forward_hooks', '_forward_hooks_with_kwargs', '_forward_hooks_always_called',
               '_forward_pre_hooks', '_forward_pre_hooks_with_kwargs')


def remove_denoise_hooks(layer: nn.Module) -> None:
    """Remove the denoising hooks of ``layer`` (found by function, so it works after copies)."""
    for attr in ('_forward_hooks', '_forward_pre_hooks'):
        hooks = getattr(layer, attr, {})
        ids = [k for k, fn in hooks.items() if fn in (denoise_output_hook, denoise_input_hook)]
        for key in ids:
            for other in _HOOK_DICTS:
                getattr(layer, other, {}).pop(key, None)


def _has_hook(layer: nn.Module, fn) -> bool:
    return any(h is fn for h in list(layer._forward_hooks.values()) +
               list(layer._forward_pre_hooks.values()))


def _warn(message: str) -> None:
    warnings.warn(message, stacklevel=3)


# ---------------------------------------------------------------------- discovery
def find_denoised_layers(model: nn.Module) -> List[Tuple[str, nn.Module]]:
    """``[(name, layer)]`` of the layers of ``model`` that carry a denoiser (tree order)."""
    return [(name, module) for name, module in model.named_modules()
            if isinstance(module._modules.get('denoiser'), LayerDenoiser)]


def denoised_layer_info(model: nn.Module) -> List[DenoisedLayer]:
    """:class:`DenoisedLayer` records of the denoised layers of ``model`` (tree order)."""
    infos = []
    for name, layer in find_denoised_layers(model):
        d = layer.denoiser
        norm = resolve_relative(name, d.fold_norm) if d.fold_norm is not None else None
        constant = 'none' if d.constant_free else ('batchnorm' if norm else 'bias')
        infos.append(DenoisedLayer(name, type(layer).__name__, d.steps, d.side, d.channels,
                                   d.groups, constant, norm))
    return infos


def find_uncalled_layers(model: nn.Module) -> List[str]:
    """Names of denoised layers whose denoiser never ran since it was attached.

    Run one forward first; a name here means the layer's weights are used without calling the
    layer (its denoiser is dead weight and fusing it would change the model).
    """
    return [name for name, layer in find_denoised_layers(model) if layer.denoiser.num_calls == 0]


# ---------------------------------------------------------------------- attaching
def attach_denoisers(model: nn.Module,
                     layer_types=('Linear', 'Conv2d'),
                     include=None,
                     exclude=None,
                     skip_frozen: bool = False,
                     steps_per_layer: int = 1,
                     side: str = 'output',
                     bias_free: str = 'auto',
                     schedule=None,
                     loss: str = 'l1+l2',
                     time_embed_dim: int = 128,
                     order: str = 'auto',
                     example_inputs=None,
                     bn_map: Optional[Dict[str, str]] = None,
                     loss_reduction: str = 'mean',
                     time_hidden_dim: Optional[int] = None,
                     init_std: float = 0.02,
                     loss_sample_ratio: float = 1.0,
                     require_called: bool = True,
                     log=None) -> List[DenoisedLayer]:
    """Attach a :class:`LayerDenoiser` to every chosen layer of ``model`` (in place).

    Args:
        model: any ``nn.Module``.
        layer_types: ``'Linear'``, ``'Conv2d'`` or classes (subclasses included).
        include / exclude: regexes searched in the full module names (see ``select_layers``).
        skip_frozen: skip layers whose own parameters all have ``requires_grad=False``.
        steps_per_layer: ``k``, consecutive steps per layer; ``N * k <= T`` is required.
        side: ``'output'`` (exact for any Linear/Conv2d) or ``'input'`` (the authors' variant;
            exact for Linear and convs without zero padding, refused otherwise).
        bias_free: what a layer without bias does with its constant: ``'auto'`` folds it into
            the BatchNorm that the traced forward (``example_inputs``) proves to consume exactly
            the layer's output, else uses a constant-free denoiser (one log line names them);
            ``'fold_bn'`` requires that BatchNorm; ``'constant_free'`` never folds. Without
            ``example_inputs`` only ``bn_map`` entries fold.
        schedule: dict of :class:`DiffusionSchedule` arguments or a schedule (default: authors').
        loss / loss_reduction: distance and reduction of the noise loss.
        time_embed_dim / time_hidden_dim: sizes of the time embedding and its MLP.
        order: step order of the layers: ``'execution'`` (first-call order during the traced
            forward: layer 1 is the one closest to the input, as the method defines it),
            ``'registration'`` (module order) or ``'auto'`` (execution order when
            ``example_inputs`` is given, else registration order).
        example_inputs: a tensor, a tuple of arguments or a dict of keyword arguments. When
            given, one eval-mode forward (:func:`~.selection.trace_model`) checks that every
            chosen layer is called, gives the execution order and proves the BatchNorm folds.
            :class:`~mmdenoise.models.DenoiseRepWrapper` always passes one.
        bn_map: explicit ``{layer_name: batchnorm_name}`` for the folding (checked against the
            trace when one is run; trusted as stated otherwise).
        init_std: std of the initial ``Wd``.
        loss_sample_ratio: fraction of each feature's positions (tokens / pixels) the noise loss
            is computed on during training (an unbiased estimate, cheaper; default 1: all).
        require_called: with ``example_inputs``, refuse layers the traced forward never calls
            (their weights read directly, or a branch unused). The wrapper sets it False: its
            trace is an eval forward, and training-only branches (DGRL's side branches, one
            modality's stem) are legitimately not reached; such layers keep their registration
            slot in the step order and fold nothing.
        log: ``callable(str)`` for the one line naming the layers that get constant-free
            denoisers under ``bias_free='auto'`` (default: ``warnings.warn``; the wrapper passes
            MMEngine's logger).

    Returns:
        list[DenoisedLayer]: one record per attached layer, in step order (highest step first).

    Raises:
        ValueError: on an unusable selection; nothing is modified then.
    """
    if order not in ('auto', 'registration', 'execution'):
        raise ValueError(f"order must be 'auto', 'registration' or 'execution', got {order!r}")
    if bias_free not in BIAS_FREE_POLICIES:
        raise ValueError(f'bias_free must be one of {BIAS_FREE_POLICIES}, got {bias_free!r}')
    if side not in ('output', 'input'):
        raise ValueError(f"side must be 'output' or 'input', got {side!r}")
    if int(steps_per_layer) != steps_per_layer or steps_per_layer < 1:
        raise ValueError(f'steps_per_layer must be a positive integer, got {steps_per_layer!r}')
    if order == 'execution' and example_inputs is None:
        raise ValueError("order='execution' needs example_inputs to trace one forward")
    schedule = DiffusionSchedule.build(
        schedule if schedule is not None else dict(num_steps=1000, beta_start=1e-4,
                                                   beta_end=2e-3))
    k = int(steps_per_layer)

    layers = select_layers(model, layer_types, include, exclude, skip_frozen)
    if not layers:
        raise ValueError(f'no layer of types {layer_types} matches include={include!r}, '
                         f'exclude={exclude!r} (skip_frozen={skip_frozen})')
    for name, layer in layers:
        check_affine_layer(name, layer, side, parent_of(model, name)[0])
    if len(layers) * k > schedule.num_steps:
        raise ValueError(f'{len(layers)} layers x {k} steps per layer = {len(layers) * k} steps '
                         f'exceed the {schedule.num_steps} steps of the schedule; choose fewer '
                         'layers, fewer steps per layer or a longer schedule')

    # Where the constant of each bias-free layer goes: only into a BatchNorm that a traced
    # forward proves to consume exactly its output (never a guess from module names).
    bias_free_names = [name for name, layer in layers
                       if layer.bias is None and bias_free != 'constant_free']
    bn_map = dict(bn_map or {})
    folds, reasons = {}, {}
    for name, layer in layers:
        if name in bn_map and name in bias_free_names:
            why = check_bn_map_entry(model, name, layer, bn_map[name])
            if why is not None:
                raise ValueError(f'{name!r}: {why}')
    if bn_map:
        targets = [bn_map[n] for n in bias_free_names if n in bn_map]
        dup = {b for b in targets if targets.count(b) > 1}
        if dup:
            raise ValueError(f'BatchNorm(s) {sorted(dup)} would take the constants of several '
                             'layers; bn_map must map each layer to its own BatchNorm')

    if example_inputs is not None:
        trace = trace_model(model, layers, example_inputs, fold_layers=bias_free_names)
        uncalled = [name for name, _ in layers if name not in trace.calls]
        if uncalled and require_called:
            raise ValueError(
                f'layer(s) {uncalled} are never called through their forward() (their weights '
                'are used directly, or the branch is unused): a denoiser there would never '
                'run; exclude them')
        for name in bias_free_names:
            proven = trace.folds.get(name)
            if name in bn_map and bn_map[name] != proven:
                raise ValueError(
                    f'bn_map maps {name!r} to {bn_map[name]!r}, but the traced forward shows '
                    + (f'its output goes into {proven!r}' if proven else
                       f'no BatchNorm can take its constant ({trace.reasons[name]})'))
            if proven is not None:
                folds[name] = proven
            else:
                reasons[name] = trace.reasons[name]
        if order in ('execution', 'auto'):
            # called layers take the registration slots of the called layers in execution
            # order; layers the traced forward does not reach keep their own slots
            rank = {name: i for i, name in enumerate(trace.order)}
            called = sorted((item for item in layers if item[0] in rank),
                            key=lambda item: rank[item[0]])
            called_iter = iter(called)
            layers = [next(called_iter) if item[0] in rank else item for item in layers]
    else:
        for name in bias_free_names:
            if name in bn_map:
                folds[name] = bn_map[name]  # stated by the caller, checked structurally above
            else:
                reasons[name] = ('no traced forward (example_inputs not given) proves which '
                                 'BatchNorm consumes its output')

    if bias_free == 'fold_bn':
        missing = {name: reasons[name] for name, layer in layers
                   if layer.bias is None and name not in folds}
        if missing:
            detail = '; '.join(f'{n!r}: {r}' for n, r in missing.items())
            raise ValueError("bias_free='fold_bn' but no BatchNorm can take the constant of "
                             f'bias-free layer(s): {detail}')

    constant_free_names = [name for name in bias_free_names if name not in folds]
    if constant_free_names and bias_free == 'auto':
        shown = ', '.join(constant_free_names[:6]) + (
            f' (+{len(constant_free_names) - 6} more)' if len(constant_free_names) > 6 else '')
        (log or _warn)(f'DenoiseRep: {len(constant_free_names)} bias-free layer(s) get '
                       'constant-free denoisers (no BatchNorm proven to consume only their '
                       f'output): {shown}; first reason: {reasons[constant_free_names[0]]}')

    n = len(layers)
    records = []
    for i, (name, layer) in enumerate(layers):
        top = (n - i) * k
        steps = tuple(range(top, top - k, -1))
        is_conv = isinstance(layer, nn.Conv2d)
        groups = layer.groups if is_conv else 1
        channels = out_channels(layer) if side == 'output' else (
            layer.in_channels if is_conv else layer.in_features)
        constant_free = layer.bias is None and name not in folds
        fold = relative_path(name, folds[name]) if name in folds else None
        denoiser = LayerDenoiser(
            channels, steps=steps, side=side, layer_name=name, fold_norm=fold, groups=groups,
            channel_dim=1 if is_conv else -1, schedule=schedule, constant_free=constant_free,
            time_embed_dim=time_embed_dim, time_hidden_dim=time_hidden_dim, loss=loss,
            loss_reduction=loss_reduction, init_std=init_std,
            loss_sample_ratio=loss_sample_ratio)
        denoiser.to(device=layer.weight.device, dtype=layer.weight.dtype)
        denoiser.train(layer.training)
        layer.add_module('denoiser', denoiser)
        if side == 'output':
            if not _has_hook(layer, denoise_output_hook):
                layer.register_forward_hook(denoise_output_hook)
        elif not _has_hook(layer, denoise_input_hook):
            layer.register_forward_pre_hook(denoise_input_hook)
        records.append(
            DenoisedLayer(name, type(layer).__name__, steps, side, channels, groups,
                          'none' if constant_free else ('batchnorm' if fold else 'bias'),
                          folds.get(name), reasons.get(name) if constant_free else None))
    return records
