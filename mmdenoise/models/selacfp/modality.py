"""The modality of each sample, and running per-modality modules on a mixed batch."""
from typing import Callable, Optional, Sequence

import torch

VISIBLE, INFRARED = 'visible', 'infrared'


def _get(sample, key: str):
    if isinstance(sample, dict):
        return sample.get(key)
    getter = getattr(sample, 'get', None)
    if callable(getter):
        return getter(key, None)
    return getattr(sample, key, None)


def _as_int(value) -> int:
    if isinstance(value, torch.Tensor):
        return int(value.reshape(-1)[0])
    if isinstance(value, (list, tuple)):
        return int(value[0])
    return int(value)


def infrared_mask(data_samples: Sequence,
                  device=None,
                  key: str = 'modality',
                  infrared_values: Sequence[str] = ('infrared', 'thermal'),
                  visible_values: Sequence[str] = ('visible', ),
                  infrared_camids: Optional[Sequence[int]] = None) -> torch.Tensor:
    """``(B,)`` bool: True for infrared samples.

    Reads ``key`` of every data sample (``'modality'``, which ``mmdenoise.SYSUMM01`` /
    ``RegDB`` records carry and ``PackReIDInputs`` packs). A sample without it falls back to its
    ``camid`` when ``infrared_camids`` is given (0-based ids, e.g. ``(2, 5)`` for SYSU-MM01
    cameras 3 and 6); otherwise it is an error naming the sample.
    """
    flags = []
    for i, sample in enumerate(data_samples):
        value = _get(sample, key)
        if value is None and infrared_camids is not None and _get(sample, 'camid') is not None:
            flags.append(_as_int(_get(sample, 'camid')) in tuple(infrared_camids))
            continue
        if value in infrared_values:
            flags.append(True)
        elif value in visible_values:
            flags.append(False)
        else:
            raise ValueError(
                f'data sample {i} has {key}={value!r}: expected one of '
                f'{tuple(visible_values) + tuple(infrared_values)} (pack it with '
                f'PackReIDInputs from a dataset that records the modality, or set '
                f'infrared_camids to tell it from the camera)')
    return torch.tensor(flags, dtype=torch.bool, device=device)


def route_by_modality(x: torch.Tensor, infrared: torch.Tensor,
                      visible_fn: Callable[[torch.Tensor], torch.Tensor],
                      infrared_fn: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """``visible_fn`` on the visible samples, ``infrared_fn`` on the infrared ones, results back
    in batch order. Each function sees only its own samples (so BatchNorm layers inside keep
    per-modality statistics) and is not called when it has none."""
    if infrared.shape != (x.shape[0], ):
        raise ValueError(f'infrared mask must be ({x.shape[0]},), got {tuple(infrared.shape)}')
    if bool(infrared.all()):
        return infrared_fn(x)
    if not bool(infrared.any()):
        return visible_fn(x)
    vis_idx = torch.nonzero(~infrared).view(-1)
    ir_idx = torch.nonzero(infrared).view(-1)
    out = torch.cat([visible_fn(x[vis_idx]), infrared_fn(x[ir_idx])])
    order = torch.cat([vis_idx, ir_idx])
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(len(order), device=order.device)
    return out[inverse]
