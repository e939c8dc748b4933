"""Choosing the layers to denoise and finding where a bias-free layer's constant can go.

Layers are chosen by type (``nn.Linear`` / ``nn.Conv2d`` and their subclasses that keep the plain
affine forward) and by regular expressions searched in their full module names. A layer is
rejected with a clear error when fusing it could not be exact:

* its class overrides ``forward`` (e.g. weight standardisation) and is not a known affine wrapper;
* its weight is parametrised (``torch.nn.utils.parametrize``, weight norm);
* it is never called through its own ``forward`` (``nn.MultiheadAttention.out_proj``, whose
  weights are read directly by ``F.multi_head_attention_forward``), so no hook would see it;
* input side on a zero-padded convolution (the constant is not padded like the fused bias).

A bias-free layer's constant is folded into a BatchNorm only where a traced forward proves that
this BatchNorm consumes exactly the layer's output and nothing else does (:func:`trace_model`);
module names and registration order are never used to decide it. An explicit ``bn_map`` is
checked against the trace when one is run.
"""
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

LAYER_TYPES = {'Linear': nn.Linear, 'Conv2d': nn.Conv2d}
# Subclasses known to compute exactly ``F.linear`` / ``F.conv2d`` with their weight and bias
# (the mmcv wrappers only special-case empty inputs; Conv2dAdaptivePadding pads with zeros first).
KNOWN_AFFINE_SUBCLASSES = {
    'mmcv.cnn.bricks.wrappers.Conv2d': {'output', 'input'},
    'mmcv.cnn.bricks.wrappers.Linear': {'output', 'input'},
    'mmcv.cnn.bricks.conv2d_adaptive_padding.Conv2dAdaptivePadding': {'output'},
}


def _qualname(cls: type) -> str:
    return f'{cls.__module__}.{cls.__qualname__}'


def resolve_layer_types(layer_types: Union[str, type, Iterable]) -> Tuple[type, ...]:
    if isinstance(layer_types, (str, type)):
        layer_types = (layer_types, )
    types = []
    for item in layer_types:
        if isinstance(item, str):
            if item not in LAYER_TYPES:
                raise ValueError(f'unknown layer type {item!r}; expected one of '
                                 f'{sorted(LAYER_TYPES)} or a subclass of nn.Linear / nn.Conv2d')
            item = LAYER_TYPES[item]
        if not (isinstance(item, type) and issubclass(item, (nn.Linear, nn.Conv2d))):
            raise ValueError(f'layer type {item!r} is not nn.Linear / nn.Conv2d or a subclass')
        types.append(item)
    if not types:
        raise ValueError('layer_types is empty')
    return tuple(types)


def _patterns(patterns) -> Optional[List['re.Pattern']]:
    if patterns is None:
        return None
    if isinstance(patterns, str):
        patterns = [patterns]
    return [re.compile(p) for p in patterns]


def check_affine_layer(name: str, layer: nn.Module, side: str,
                       parent: Optional[nn.Module]) -> None:
    """Raise ``ValueError`` naming ``name`` if fusing ``layer`` on ``side`` cannot be exact."""
    base = nn.Conv2d if isinstance(layer, nn.Conv2d) else nn.Linear
    cls = type(layer)
    if cls.forward is not base.forward:
        sides = KNOWN_AFFINE_SUBCLASSES.get(_qualname(cls))
        if sides is None:
            raise ValueError(
                f'layer {name!r} ({_qualname(cls)}) overrides forward(), so its output is not '
                f'known to be the affine map of its weight and bias; exclude it')
        if side not in sides:
            raise ValueError(f'layer {name!r} ({cls.__name__}) cannot be denoised on the {side} '
                             'side exactly (it zero-pads its input itself); use side="output"')
    if hasattr(layer, 'parametrizations') or hasattr(layer, 'weight_g'):
        raise ValueError(f'layer {name!r} has a parametrised weight (weight/spectral norm); its '
                         'weight is recomputed at every forward and cannot be fused; exclude it')
    if isinstance(parent, nn.MultiheadAttention):
        raise ValueError(
            f'layer {name!r} belongs to nn.MultiheadAttention, which reads its weights directly '
            '(F.multi_head_attention_forward) and never calls its forward(): a denoiser there '
            'would never run; exclude it (e.g. exclude=[r"out_proj$"])')
    if 'denoiser' in layer._modules:
        raise ValueError(f'layer {name!r} already has a denoiser')
    if side == 'input' and isinstance(layer, nn.Conv2d) and _has_zero_padding(layer):
        raise ValueError(
            f'layer {name!r}: input-side denoising is not exact on a zero-padded convolution '
            f'(padding={layer.padding}): the constant of the denoised input is not zero-padded '
            'the way a fused bias would be; use side="output" (exact for any conv) or exclude it')


def _has_zero_padding(conv: nn.Conv2d) -> bool:
    if conv.padding_mode != 'zeros':
        return False  # reflect / replicate / circular padding commutes with a per-channel map
    if isinstance(conv.padding, str):
        if conv.padding == 'valid':
            return False
        return any(d * (k - 1) > 0 for d, k in zip(conv.dilation, conv.kernel_size))
    return any(p > 0 for p in conv.padding)


def select_layers(model: nn.Module, layer_types=('Linear', 'Conv2d'), include=None, exclude=None,
                  skip_frozen: bool = False) -> List[Tuple[str, nn.Module]]:
    """``[(name, layer)]`` of the modules of ``model`` (registration order) that match.

    ``include`` / ``exclude`` are regular expressions (a string or a list) searched
    (``re.search``) in the full module name; a layer is kept if it matches any ``include``
    (all layers when ``include`` is None) and no ``exclude``. ``skip_frozen`` drops layers whose
    own parameters all have ``requires_grad=False``. Denoiser internals are never selected.
    """
    types = resolve_layer_types(layer_types)
    inc, exc = _patterns(include), _patterns(exclude)
    chosen = []
    for name, module in model.named_modules():
        if not isinstance(module, types):
            continue
        if inc is not None and not any(p.search(name) for p in inc):
            continue
        if exc is not None and any(p.search(name) for p in exc):
            continue
        if skip_frozen:
            params = list(module.parameters(recurse=False))
            if params and not any(p.requires_grad for p in params):
                continue
        chosen.append((name, module))
    return chosen


def parent_of(model: nn.Module, name: str) -> Tuple[Optional[nn.Module], str]:
    """The parent module of ``name`` and the attribute name of the child in it."""
    if not name:
        return None, ''
    parent_name, _, attr = name.rpartition('.')
    return model.get_submodule(parent_name), attr


def out_channels(layer: nn.Module) -> int:
    return layer.out_channels if isinstance(layer, nn.Conv2d) else layer.out_features


def _usable_bn(bn, channels: int) -> bool:
    return (isinstance(bn, _BatchNorm) and bn.track_running_stats
            and bn.running_mean is not None and bn.num_features == channels)


def check_bn_map_entry(model: nn.Module, name: str, layer: nn.Module,
                       bn_name: str) -> Optional[str]:
    """Why ``bn_map[name] = bn_name`` cannot take ``layer``'s constant (None if it can)."""
    channels = out_channels(layer)
    try:
        bn = model.get_submodule(bn_name)
    except AttributeError:
        return f'bn_map names {bn_name!r}, which is not a module of the model'
    if not _usable_bn(bn, channels):
        return (f'bn_map names {bn_name!r}, which is not a BatchNorm with running statistics '
                f'over {channels} channels')
    return None


def relative_path(from_name: str, to_name: str) -> Tuple[int, str]:
    """``(levels_up, path)`` leading from module ``from_name`` to module ``to_name``."""
    src = from_name.split('.') if from_name else []
    dst = to_name.split('.') if to_name else []
    common = 0
    while common < min(len(src), len(dst)) and src[common] == dst[common]:
        common += 1
    return len(src) - common, '.'.join(dst[common:])


def resolve_relative(from_name: str, rel: Tuple[int, str]) -> str:
    """Inverse of :func:`relative_path`: the full name reached from ``from_name``."""
    up, path = rel
    src = from_name.split('.') if from_name else []
    if up > len(src):
        raise ValueError(f'cannot go {up} levels up from {from_name!r}')
    parts = src[:len(src) - up] + (path.split('.') if path else [])
    return '.'.join(parts)


# Tensor methods / properties that read only metadata, never values: calling them on a layer's
# output does not "consume" it (BatchNorm's own input checks call some of them).
_METADATA_FUNCS = frozenset({
    'size', 'dim', 'ndimension', 'numel', 'nelement', '__len__', 'is_contiguous', 'stride',
    'get_device', 'is_floating_point', 'is_complex', 'data_ptr', 'storage_offset', '__get__',
    'element_size', 'has_names', 'is_sparse', '__format__', '__repr__', '__hash__'})


@dataclass
class TraceResult:
    """What one traced forward proved about the chosen layers.

    Attributes:
        order: layer names in order of first call (execution order).
        calls: number of calls of each layer.
        folds: ``{layer: batchnorm}`` for the layers whose every output went into exactly that
            BatchNorm and nowhere else, that BatchNorm consuming nothing but this layer's outputs.
        reasons: ``{layer: why}`` for the layers (of ``fold_layers``) that cannot fold.
    """
    order: List[str] = field(default_factory=list)
    calls: Dict[str, int] = field(default_factory=dict)
    folds: Dict[str, str] = field(default_factory=dict)
    reasons: Dict[str, str] = field(default_factory=dict)


def _tensors_in(obj, depth: int = 0):
    if isinstance(obj, torch.Tensor):
        yield obj
    elif depth < 3 and isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _tensors_in(item, depth + 1)
    elif depth < 3 and isinstance(obj, dict):
        for item in obj.values():
            yield from _tensors_in(item, depth + 1)
    elif depth < 3 and hasattr(obj, 'values') and callable(obj.values):
        try:
            values = list(obj.values())
        except Exception:  # noqa: BLE001 (not a mapping after all)
            return
        for item in values:
            yield from _tensors_in(item, depth + 1)


def _call_model(model: nn.Module, example_inputs):
    if isinstance(example_inputs, dict):
        return model(**example_inputs)
    if isinstance(example_inputs, (tuple, list)):
        return model(*example_inputs)
    return model(example_inputs)


def trace_model(model: nn.Module, layers: Sequence[Tuple[str, nn.Module]], example_inputs,
                fold_layers: Iterable[str] = ()) -> TraceResult:
    """Run one forward (eval mode, no grad) and record which module consumes which tensor.

    Every output tensor of the given layers is watched: a BatchNorm whose input *is* that tensor
    is its candidate, and any other torch operation reading it (an addition, a concatenation,
    a pooling, an in-place change, being returned by the model) counts as another consumer.
    A layer of ``fold_layers`` can fold its constant into a BatchNorm only if, on every call,
    its output went into that one BatchNorm and nowhere else, and that BatchNorm never saw any
    other input; the BatchNorm must also keep running statistics over the layer's channels.
    Training flags of all modules are restored afterwards.
    """
    from torch.overrides import TorchFunctionMode

    fold_layers = set(fold_layers)
    result = TraceResult()
    watched: Dict[int, Tuple[str, torch.Tensor]] = {}  # id -> (layer, tensor kept alive)
    bn_of: Dict[str, set] = {n: set() for n in fold_layers}   # layer -> BatchNorms fed
    others: Dict[str, set] = {n: set() for n in fold_layers}  # layer -> other consumers
    bn_inputs: Dict[str, set] = {}  # BatchNorm -> layers whose outputs it took (None: other)
    inside_bn = [0]
    names = {id(m): n for n, m in model.named_modules()}

    def layer_hook(name):
        def hook(module, args, output):
            if name not in result.calls:
                result.order.append(name)
            result.calls[name] = result.calls.get(name, 0) + 1
            if name in fold_layers and isinstance(output, torch.Tensor):
                watched[id(output)] = (name, output)
            return None
        return hook

    def source(t):
        item = watched.get(id(t))
        return item[0] if item is not None and item[1] is t else None

    def bn_pre_hook(module, args):
        bn_name = names.get(id(module), '?')
        layer = source(args[0]) if args and isinstance(args[0], torch.Tensor) else None
        bn_inputs.setdefault(bn_name, set()).add(layer)
        if layer is not None:
            bn_of[layer].add(bn_name)
        for extra in list(_tensors_in(args[1:])):
            other = source(extra)
            if other is not None:
                others[other].add(f'{bn_name} (extra argument)')
        inside_bn[0] += 1

    def bn_hook(module, args, output):
        inside_bn[0] -= 1

    class _Consumers(TorchFunctionMode):

        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if watched and not inside_bn[0] and \
                    getattr(func, '__name__', '') not in _METADATA_FUNCS:
                for t in _tensors_in((args, kwargs)):
                    layer = source(t)
                    if layer is not None:
                        others[layer].add(getattr(func, '__name__', str(func)))
            return func(*args, **kwargs)

    flags = {m: m.training for m in model.modules()}
    handles = []
    try:
        for name, layer in layers:
            handles.append(layer.register_forward_hook(layer_hook(name)))
        for module in model.modules():
            if isinstance(module, _BatchNorm):
                handles.append(module.register_forward_pre_hook(bn_pre_hook))
                handles.append(module.register_forward_hook(bn_hook))
        model.eval()
        with torch.no_grad(), _Consumers():
            try:
                outputs = _call_model(model, example_inputs)
            except Exception as err:
                raise RuntimeError(
                    f'the traced forward of {type(model).__name__} (one eval-mode forward on '
                    'example_inputs, to prove BatchNorm folds and the step order) failed: '
                    f'{type(err).__name__}: {err}. Give inputs the model accepts (the '
                    "DenoiseRepWrapper's trace_input_shape=(H, W))") from err
        for t in _tensors_in(outputs):
            layer = source(t)
            if layer is not None:
                others[layer].add('the model output')
    finally:
        for handle in handles:
            handle.remove()
        for module, flag in flags.items():
            module.training = flag

    layer_by_name = dict(layers)
    claimed: Dict[str, List[str]] = {}
    for name in fold_layers:
        if name not in result.calls:
            result.reasons[name] = 'it is never called in the traced forward'
            continue
        bns = bn_of[name]
        if not bns:
            result.reasons[name] = 'no BatchNorm consumes its output in the traced forward'
            continue
        if len(bns) > 1:
            result.reasons[name] = f'its output feeds several BatchNorms {sorted(bns)}'
            continue
        if others[name]:
            result.reasons[name] = (f'its output also feeds {sorted(others[name])} besides '
                                    f'the BatchNorm {next(iter(bns))!r}')
            continue
        bn_name = next(iter(bns))
        if bn_inputs.get(bn_name, set()) != {name}:
            result.reasons[name] = (f'the BatchNorm {bn_name!r} it feeds also normalises other '
                                    'tensors')
            continue
        bn = model.get_submodule(bn_name)
        if not _usable_bn(bn, out_channels(layer_by_name[name])):
            result.reasons[name] = (f'the BatchNorm {bn_name!r} it feeds has no running '
                                    'statistics over its channels')
            continue
        claimed.setdefault(bn_name, []).append(name)
    for bn_name, owners in claimed.items():
        if len(owners) == 1:
            result.folds[owners[0]] = bn_name
        else:
            for name in owners:
                result.reasons[name] = f'the BatchNorm {bn_name!r} takes several layers\' outputs'
    return result
