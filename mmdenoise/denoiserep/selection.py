"""Choosing the layers to denoise and finding where a bias-free layer's constant can go.

Layers are chosen by type (``nn.Linear`` / ``nn.Conv2d`` and their subclasses that keep the plain
affine forward) and by regular expressions searched in their full module names. A layer is
rejected with a clear error when fusing it could not be exact:

* its class overrides ``forward`` (e.g. weight standardisation) and is not a known affine wrapper;
* its weight is parametrised (``torch.nn.utils.parametrize``, weight norm);
* it is never called through its own ``forward`` (``nn.MultiheadAttention.out_proj``, whose
  weights are read directly by ``F.multi_head_attention_forward``), so no hook would see it;
* input side on a zero-padded convolution (the constant is not padded like the fused bias).

A bias-free layer's constant is folded into the BatchNorm that directly consumes its output,
found structurally: the ``norm`` of an mmcv ``ConvModule`` (order conv -> norm), a ``bnN`` /
``normN`` sibling of a ``convN`` (mmpretrain / mmdet / torchvision ResNets), the next module of an
``nn.Sequential``, or an explicit ``bn_map``.
"""
import re
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


def find_following_bn(model: nn.Module, name: str, layer: nn.Module,
                      bn_map: Optional[Dict[str, str]] = None) -> Tuple[Optional[str], str]:
    """Full name of the BatchNorm that directly consumes ``layer``'s output, and how it was found.

    Returns ``(None, reason)`` when there is none (the reason says why, for error messages).
    """
    channels = out_channels(layer)
    if bn_map and name in bn_map:
        bn_name = bn_map[name]
        try:
            bn = model.get_submodule(bn_name)
        except AttributeError:
            return None, f'bn_map names {bn_name!r}, which is not a module of the model'
        if not _usable_bn(bn, channels):
            return None, (f'bn_map names {bn_name!r}, which is not a BatchNorm with running '
                          f'statistics over {channels} channels')
        return bn_name, 'bn_map'
    parent, attr = parent_of(model, name)
    if parent is None:
        return None, 'the layer is the root module'
    prefix = name[:len(name) - len(attr)]
    # mmcv ConvModule: self.conv then getattr(self, self.norm_name) when order is conv -> norm.
    order = getattr(parent, 'order', None)
    norm_name = getattr(parent, 'norm_name', None)
    if getattr(parent, 'conv', None) is layer and isinstance(order, (tuple, list)):
        # A ConvModule decides alone (its conv/norm names must not trigger the sibling rule).
        if not (getattr(parent, 'with_norm', False) and isinstance(norm_name, str)):
            return None, 'its ConvModule has no norm'
        if 'conv' not in order or 'norm' not in order or \
                order.index('norm') != order.index('conv') + 1:
            return None, f'its ConvModule order {tuple(order)} does not put norm right after conv'
        if _usable_bn(parent._modules.get(norm_name), channels):
            return prefix + norm_name, 'ConvModule'
        return None, f'its ConvModule norm {norm_name!r} is not a BatchNorm'
    # convN -> bnN / normN siblings (ResNet blocks and stems).
    match = re.fullmatch(r'conv(\d*)', attr)
    if match:
        for sibling in (f'bn{match.group(1)}', f'norm{match.group(1)}'):
            if _usable_bn(parent._modules.get(sibling), channels):
                return prefix + sibling, 'sibling'
    # nn.Sequential: the next module.
    if isinstance(parent, nn.Sequential):
        keys = list(parent._modules)
        idx = keys.index(attr)
        if idx + 1 < len(keys) and _usable_bn(parent._modules[keys[idx + 1]], channels):
            return prefix + keys[idx + 1], 'Sequential'
    return None, 'no BatchNorm directly follows it'


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


def trace_calls(model: nn.Module, layers: Sequence[Tuple[str, nn.Module]], example_inputs,
                bn_candidates: Optional[Dict[str, str]] = None):
    """Run one forward (eval mode, no grad) and observe the given layers.

    Returns ``(order, bn_ok)``: the names of the layers in order of first call, and for every
    ``layer_name -> bn_name`` of ``bn_candidates`` whether that BatchNorm's input was exactly the
    layer's output tensor each time. Training flags of all modules are restored afterwards.
    """
    order, last_out, bn_ok = [], {}, {}
    bn_candidates = bn_candidates or {}
    handles = []

    def layer_hook(name):
        def hook(module, args, output):
            if name not in order:
                order.append(name)
            last_out[name] = output
        return hook

    def bn_hook(layer_name):
        def hook(module, args):
            ok = bool(args) and args[0] is last_out.get(layer_name)
            bn_ok[layer_name] = bn_ok.get(layer_name, True) and ok
        return hook

    flags = {m: m.training for m in model.modules()}
    try:
        for name, layer in layers:
            handles.append(layer.register_forward_hook(layer_hook(name)))
        for layer_name, bn_name in bn_candidates.items():
            bn = model.get_submodule(bn_name)
            handles.append(bn.register_forward_pre_hook(bn_hook(layer_name)))
        model.eval()
        with torch.no_grad():
            if isinstance(example_inputs, dict):
                model(**example_inputs)
            elif isinstance(example_inputs, (tuple, list)):
                model(*example_inputs)
            else:
                model(example_inputs)
    finally:
        for handle in handles:
            handle.remove()
        for module, flag in flags.items():
            module.training = flag
    for layer_name in bn_candidates:
        bn_ok.setdefault(layer_name, False)
    return order, bn_ok
