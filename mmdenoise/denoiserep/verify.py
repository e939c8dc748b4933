"""The exactness check run every time deploy weights are written: fused vs unfused, per layer.

One eval-mode forward of the unfused model (denoisers attached) and of the fused model on the same
input; the output of every denoised layer (of its BatchNorm, where the layer's constant was folded
there) is compared with the output of the same-named module of the fused model, and the final
outputs with each other. Non-finite values anywhere fail the check
(a NaN is never "equal"). Plain PyTorch.
"""
from typing import Any, Dict, Optional

import torch
from torch import nn

from .attach import find_denoised_layers
from .selection import _call_model, resolve_relative
from .testing import flatten_outputs

__all__ = ['FusionCheckError', 'check_fused', 'first_non_finite']


class FusionCheckError(RuntimeError):
    """The fused model does not compute what the unfused one does (the report is attached)."""

    def __init__(self, message: str, report: Optional[dict] = None):
        super().__init__(message)
        self.report = report or {}


def first_non_finite(state: Dict[str, Any]) -> Optional[str]:
    """The first key of ``state`` whose floating-point tensor holds a NaN or an infinity."""
    for key, value in state.items():
        if torch.is_tensor(value) and (value.is_floating_point() or value.is_complex()) \
                and value.numel() and not bool(torch.isfinite(value).all()):
            return key
    return None


def _rel_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    a, b = out.detach().double(), ref.detach().double()
    if a.shape != b.shape:
        return float('inf')
    if a.numel() == 0:
        return 0.0
    if not (bool(torch.isfinite(a).all()) and bool(torch.isfinite(b).all())):
        return float('inf')
    scale = float(b.abs().max())
    diff = float((a - b).abs().max())
    return diff / scale if scale > 0 else (0.0 if diff == 0 else float('inf'))


def check_fused(unfused: nn.Module, fused: nn.Module, example_inputs,
                tolerance: float = 1e-4, what: str = 'fused model',
                compare_outputs: bool = True) -> Dict[str, Any]:
    """Compare ``fused`` with ``unfused`` on ``example_inputs`` (see :func:`trace_model` for
    its forms); raise :class:`FusionCheckError` naming the worst layer above ``tolerance``.

    Returns ``dict(max_rel_err, output_rel_err, worst_layer, per_layer, passed=True)``; the
    relative errors are ``max |fused - unfused| / max |unfused|``, per layer output and over the
    final outputs (reported but not checked with ``compare_outputs=False``: outputs that pass
    through a discrete selection such as proposal NMS, where float near-ties may reorder).
    """
    # A layer whose constant was folded into its BatchNorm computes the same thing only after
    # that BatchNorm: its output is compared there.
    names = []
    for name, layer in find_denoised_layers(unfused):
        fold = layer.denoiser.fold_norm
        names.append(resolve_relative(name, fold) if fold is not None else name)
    if not names:
        raise FusionCheckError(f'{what}: the unfused model has no denoised layers to compare')
    captured: Dict[str, Dict[str, torch.Tensor]] = {'unfused': {}, 'fused': {}}
    handles = []

    def capture(side, name):
        def hook(module, args, output):
            if torch.is_tensor(output):
                captured[side][name] = output.detach()
        return hook

    flags = {m: m.training for m in list(unfused.modules()) + list(fused.modules())}
    try:
        for name in names:
            handles.append(unfused.get_submodule(name).register_forward_hook(
                capture('unfused', name)))  # after the denoising hook: the denoised output
            try:
                layer = fused.get_submodule(name)
            except AttributeError:
                raise FusionCheckError(f'{what}: has no layer {name!r}') from None
            handles.append(layer.register_forward_hook(capture('fused', name)))
        unfused.eval()
        fused.eval()
        with torch.no_grad():
            ref = _call_model(unfused, example_inputs)
            out = _call_model(fused, example_inputs)
    finally:
        for handle in handles:
            handle.remove()
        for module, flag in flags.items():
            module.training = flag
    per_layer = {}
    for name in names:
        if name not in captured['unfused'] or name not in captured['fused']:
            continue  # a branch this input does not reach
        per_layer[name] = _rel_error(captured['fused'][name], captured['unfused'][name])
    refs, outs = flatten_outputs(ref), flatten_outputs(out)
    if len(refs) != len(outs) or not refs:
        raise FusionCheckError(f'{what}: the outputs differ in structure ({len(outs)} vs '
                               f'{len(refs)} tensors)')
    output_err = max(_rel_error(a, b) for a, b in zip(outs, refs))
    worst = max(per_layer, key=per_layer.get) if per_layer else None
    report = dict(max_rel_err=max([output_err] + list(per_layer.values())),
                  output_rel_err=output_err, worst_layer=worst, per_layer=per_layer,
                  num_layers_compared=len(per_layer), tolerance=tolerance)
    bad = {n: e for n, e in per_layer.items() if not e <= tolerance}
    if bad or (compare_outputs and not output_err <= tolerance):
        if bad:
            name = max(bad, key=bad.get)
            detail = (f'worst layer {name!r}: relative error {bad[name]:.3e}'
                      + (' (non-finite values)' if bad[name] == float('inf') else '')
                      + f'; {len(bad)} of {len(per_layer)} layer(s) above the tolerance')
        else:
            detail = f'final outputs: relative error {output_err:.3e}'
        raise FusionCheckError(f'{what} differs from the unfused model beyond the tolerance '
                               f'{tolerance:g}: {detail}', report)
    report['passed'] = True
    return report
