"""2-D DCT basis filters and the frequency selections of FcaNet.

The Local Attention Module of D-SELACFP (paper 002, section 2.2) replaces global average
pooling by 2-D DCT pooling, as FcaNet (Qin et al., ICCV 2021, the paper's reference [17]) does:
the channels are split into ``K`` groups and group ``k`` is pooled with the DCT basis image of
frequency ``(u_k, v_k)``

    B_{u,v}(h, w) = a_u a_v cos(pi u (h + 1/2) / H) cos(pi v (w + 1/2) / W),
    a_0 = sqrt(1 / N), a_k = sqrt(2 / N) (k > 0),

the orthonormal DCT-II scaling, so ``(0, 0)`` is ``sqrt(H W)`` times global average pooling.
"""
import math
from typing import List, Sequence, Tuple, Union

import torch

# FcaNet's frequency rankings on a 7x7 grid (as (u, v) = (row, column) frequency pairs), from
# their single-frequency ImageNet ablation: 'top' = best first, 'low' = lowest first,
# 'bot' = worst first. A selection name is '<kind><count>' with count in 1, 2, 4, 8, 16, 32.
_FCANET_RANKINGS = {
    'top': ([0, 0, 6, 0, 0, 1, 1, 4, 5, 1, 3, 0, 0, 0, 3, 2, 4, 6, 3, 5, 5, 2, 6, 5, 5, 3, 3, 4,
             2, 2, 6, 1],
            [0, 1, 0, 5, 2, 0, 2, 0, 0, 6, 0, 4, 6, 3, 5, 2, 6, 3, 3, 3, 5, 1, 1, 2, 4, 2, 1, 1,
             3, 0, 5, 3]),
    'low': ([0, 0, 1, 1, 0, 2, 2, 1, 2, 0, 3, 4, 0, 1, 3, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 6,
             1, 2, 3, 4],
            [0, 1, 0, 1, 2, 0, 1, 2, 2, 3, 0, 0, 4, 3, 1, 5, 4, 3, 2, 1, 0, 6, 5, 4, 3, 2, 1, 0,
             6, 5, 4, 3]),
    'bot': ([6, 1, 3, 3, 2, 4, 1, 2, 4, 4, 5, 1, 4, 6, 2, 5, 6, 1, 6, 2, 2, 4, 3, 3, 5, 5, 6, 2,
             5, 5, 3, 6],
            [6, 4, 4, 6, 6, 3, 1, 4, 4, 5, 6, 5, 2, 2, 5, 1, 4, 3, 5, 0, 3, 1, 1, 2, 4, 2, 1, 1,
             5, 3, 3, 3]),
}
REFERENCE_GRID = 7  # FcaNet's rankings live on a 7x7 frequency grid

Frequencies = Union[str, Sequence[Sequence[int]]]


def select_frequencies(selection: Frequencies) -> List[Tuple[int, int]]:
    """``(u, v)`` pairs on the 7x7 reference grid.

    Args:
        selection: a FcaNet name (``'top16'``, ``'low4'``, ``'bot1'``...) or explicit pairs.
    """
    if isinstance(selection, str):
        kind, count = selection[:3], selection[3:]
        if kind not in _FCANET_RANKINGS or not count.isdigit() or not 1 <= int(count) <= 32:
            raise ValueError(f"frequency selection {selection!r}: expected 'top'/'low'/'bot' "
                             'followed by a count in 1..32 (e.g. top16), or (u, v) pairs')
        us, vs = _FCANET_RANKINGS[kind]
        return list(zip(us[:int(count)], vs[:int(count)]))
    pairs = [tuple(int(c) for c in pair) for pair in selection]
    if not pairs or any(len(p) != 2 or min(p) < 0 or max(p) >= REFERENCE_GRID for p in pairs):
        raise ValueError(f'frequency pairs must be (u, v) with 0 <= u, v < {REFERENCE_GRID}, '
                         f'got {selection!r}')
    return pairs


def dct_basis_1d(freq: int, length: int, dtype=torch.float64) -> torch.Tensor:
    """The orthonormal 1-D DCT-II basis vector of frequency ``freq`` over ``length`` samples."""
    if not 0 <= freq < length:
        raise ValueError(f'DCT frequency {freq} out of range for length {length}')
    pos = torch.arange(length, dtype=dtype)
    scale = math.sqrt((1.0 if freq == 0 else 2.0) / length)
    return scale * torch.cos(math.pi * freq * (pos + 0.5) / length)


def dct_basis_2d(u: int, v: int, height: int, width: int, dtype=torch.float64) -> torch.Tensor:
    """The orthonormal 2-D DCT basis image ``B_{u,v}`` of shape ``(height, width)``."""
    return torch.outer(dct_basis_1d(u, height, dtype), dct_basis_1d(v, width, dtype))


def scale_to_grid(pairs: Sequence[Tuple[int, int]], height: int,
                  width: int) -> List[Tuple[int, int]]:
    """Map 7x7-grid frequencies to a ``height x width`` grid (``u * height // 7``), so a
    frequency means the same spatial period at every size (FcaNet: (1, 1) on 7x7 = (2, 2) on
    14x14)."""
    return [(u * height // REFERENCE_GRID, v * width // REFERENCE_GRID) for u, v in pairs]


def dct_filters(channels: int, height: int, width: int,
                selection: Frequencies = 'top16') -> torch.Tensor:
    """FcaNet's multi-spectral pooling weights, shape ``(channels, height, width)``: channel
    group ``k`` (``channels / K`` consecutive channels) gets the basis image of frequency ``k``.
    """
    pairs = scale_to_grid(select_frequencies(selection), height, width)
    if channels % len(pairs):
        raise ValueError(f'{channels} channels cannot be split into {len(pairs)} frequency '
                         f'groups ({selection!r}); choose a selection whose count divides them')
    per_group = channels // len(pairs)
    images = [dct_basis_2d(u, v, height, width) for u, v in pairs]
    return torch.stack(images).repeat_interleave(per_group, dim=0).float()
