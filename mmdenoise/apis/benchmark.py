"""Interleaved latency measurement of several models on the same input.

DenoiseRep's claim is that the fused model costs exactly what the original costs, so the number to
report is a *ratio* (fused / baseline), measured so that machine drift (frequency scaling, other
processes, thermal state) hits both models alike:

* every repeat runs each model once (``number`` calls timed together), in a rotating order
  (repeat ``r`` starts with model ``r mod M``), so no model is always first or always last;
* the ratio of a model is the median over repeats of ``t_model[r] / t_reference[r]``, paired
  within the same repeat, so slow phases of the machine cancel out;
* medians (not means) of the per-repeat times are reported alongside.

Used by ``tools/demo.py`` and meant for the zoo's latency scripts (CPU or GPU; on a GPU the
default ``sync`` waits for queued kernels before reading the clock).
"""
from __future__ import annotations

import statistics
import time
from contextlib import nullcontext
from typing import Any, Callable, Dict, List, Mapping, Optional

__all__ = ['measure_latency', 'format_latency']


def _default_sync(inputs: Any) -> Optional[Callable[[], None]]:
    """``torch.cuda.synchronize`` when CUDA is in use (or the inputs live on a GPU), else None."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        return None
    if not torch.cuda.is_available():
        return None

    def on_cuda(obj: Any) -> bool:
        if torch.is_tensor(obj):
            return obj.is_cuda
        if isinstance(obj, (list, tuple)):
            return any(on_cuda(o) for o in obj)
        if isinstance(obj, dict):
            return any(on_cuda(o) for o in obj.values())
        return False

    if on_cuda(inputs) or torch.cuda.is_initialized():
        return torch.cuda.synchronize
    return None


def _no_grad():
    try:
        import torch
        return torch.inference_mode()
    except ImportError:  # pragma: no cover
        return nullcontext()


def _quantile(values: List[float], q: float) -> float:
    values = sorted(values)
    if len(values) == 1:
        return values[0]
    pos = q * (len(values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def measure_latency(models: Mapping[str, Callable[[Any], Any]],
                    inputs: Any = None,
                    repeats: int = 20,
                    warmup: int = 3,
                    number: int = 1,
                    reference: Optional[str] = None,
                    sync: Any = 'auto',
                    no_grad: bool = True,
                    timer: Callable[[], float] = time.perf_counter) -> Dict[str, Any]:
    """Time every callable of ``models`` on the same ``inputs``, interleaved.

    Args:
        models: ``{name: fn}``; each is called as ``fn(inputs)`` (wrap other signatures in a
            lambda, e.g. ``lambda x: model(x, mode='tensor')``). At least one.
        inputs: the argument passed to every callable.
        repeats: timed rounds; each round runs every model ``number`` times, in rotating order.
        warmup: untimed rounds before (same interleaving).
        number: calls per model per round, timed together (raise it for very fast models).
        reference: the name ratios are relative to (default: the first key of ``models``).
        sync: a callable run before each clock read (e.g. ``torch.cuda.synchronize``); ``'auto'``
            picks CUDA synchronization when CUDA is in use; None: none.
        no_grad: run under ``torch.inference_mode()``.
        timer: the clock (seconds).

    Returns:
        dict with ``reference``, ``repeats``, ``warmup``, ``number``, ``order`` (the model names)
        and, per model name:

        * ``times``: the per-call seconds of every repeat (list of ``repeats`` floats);
        * ``median`` / ``min``: of those, seconds per call;
        * ``ratio``: median over repeats of ``time[r] / reference_time[r]`` (1.0 for the
          reference);
        * ``ratio_iqr``: the 25 % and 75 % quantiles of the paired ratios.

    Raises:
        ValueError: no models, ``repeats < 1``, ``number < 1`` or an unknown ``reference``.
    """
    names = list(models)
    if not names:
        raise ValueError('measure_latency: no models given')
    if repeats < 1 or number < 1 or warmup < 0:
        raise ValueError(f'measure_latency: need repeats >= 1, number >= 1, warmup >= 0 '
                         f'(got {repeats}, {number}, {warmup})')
    reference = names[0] if reference is None else reference
    if reference not in models:
        raise ValueError(f'measure_latency: reference {reference!r} is not one of {names}')
    for name, fn in models.items():
        if not callable(fn):
            raise ValueError(f'measure_latency: {name!r} is not callable')
    sync_fn = _default_sync(inputs) if sync == 'auto' else sync

    def clock() -> float:
        if sync_fn is not None:
            sync_fn()
        return timer()

    times: Dict[str, List[float]] = {name: [] for name in names}
    count = len(names)
    with _no_grad() if no_grad else nullcontext():
        for rnd in range(warmup + repeats):
            shift = rnd % count
            for name in names[shift:] + names[:shift]:
                fn = models[name]
                start = clock()
                for _ in range(number):
                    fn(inputs)
                elapsed = (clock() - start) / number
                if rnd >= warmup:
                    times[name].append(elapsed)

    result: Dict[str, Any] = dict(reference=reference, repeats=repeats, warmup=warmup,
                                  number=number, order=names)
    ref_times = times[reference]
    for name in names:
        ratios = [t / r if r > 0 else float('inf') for t, r in zip(times[name], ref_times)]
        result[name] = dict(
            times=times[name],
            median=statistics.median(times[name]),
            min=min(times[name]),
            ratio=statistics.median(ratios),
            ratio_iqr=(_quantile(ratios, 0.25), _quantile(ratios, 0.75)))
    return result


def format_latency(result: Mapping[str, Any]) -> str:
    """A small text table of a :func:`measure_latency` result."""
    lines = [f'{"model":<24} {"median ms":>10} {"min ms":>10} {"ratio":>7}  (vs '
             f'{result["reference"]}, {result["repeats"]} interleaved repeats)']
    for name in result['order']:
        r = result[name]
        lines.append(f'{name:<24} {r["median"] * 1e3:>10.3f} {r["min"] * 1e3:>10.3f} '
                     f'{r["ratio"]:>7.3f}')
    return '\n'.join(lines)
