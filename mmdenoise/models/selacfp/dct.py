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


def _axis_frequency(freq: int, length: int) -> int:
    """One axis of :func:`scale_to_grid`'s base mapping (see there)."""
    if length >= REFERENCE_GRID:
        # FcaNet's u * (n // 7) where 7 divides n; floor(u * n / 7) otherwise (the same value
        # at multiples of 7, one-to-one since n / 7 >= 1)
        return freq * length // REFERENCE_GRID
    return min(freq, length - 1)  # the index where it fits, else the highest frequency


def scale_to_grid(pairs: Sequence[Tuple[int, int]], height: int,
                  width: int) -> List[Tuple[int, int]]:
    """Map 7x7-grid frequencies ``(u, v)`` to a ``height x width`` DCT grid.

    Rule, per axis of length ``n`` (``u`` on the height, ``v`` on the width):

    - ``n`` a multiple of 7 (the 7/14/28/56 sizes FcaNet was designed for): FcaNet's
      ``u * (n // 7)``, the frequency with the same period in feature-map cells ((1, 1) on
      7x7 is (2, 2) on 14x14);
    - other ``n >= 7`` (e.g. 8, 16, 32): ``floor(u * n / 7)``, the nearest lower frequency of
      that period; it is one-to-one (``n / 7 >= 1``), so distinct pairs stay distinct;
    - ``n < 7`` (e.g. the 4 rows of SYSU layer 4's 4x8 regions): no period-preserving choice
      exists (FcaNet's literal ``u * (n // 7)`` is 0 for every ``u``, and ``u * n // 7`` sends
      (1, 0) to (0, 0), a copy of average pooling), so the index is kept where it fits
      (``u < n``: the same cosine over the region, sampled at ``n`` points) and the highest
      frequency ``n - 1`` is used otherwise.

    Distinctness: on a short axis the per-axis map merges frequencies, so pairs are placed in
    the order given (the rankings are best first, so better frequencies keep their place): a
    pair whose base mapping is already taken by a *different* 7x7 pair, or a non-zero pair
    whose base mapping is ``(0, 0)``, moves to the nearest free frequency of the grid (smallest
    Euclidean distance to its base mapping; ties: lower ``u + v``, then lower ``u``), ``(0, 0)``
    being taken by a non-zero pair only as the very last free frequency. Hence the mapped
    frequencies are distinct whenever the grid has at least as many frequencies as there are
    distinct pairs, and a non-zero pair never becomes ``(0, 0)`` (average pooling) while
    another free frequency exists, nor ever a copy of it. Only on a grid with fewer
    frequencies than pairs do the leftover pairs share (their base mapping, or for a would-be
    ``(0, 0)`` the nearest non-zero frequency). Identical input pairs map identically.
    """
    if height < 1 or width < 1:
        raise ValueError(f'DCT grid must be at least 1x1, got {height}x{width}')
    grid = [(u, v) for u in range(height) for v in range(width)]
    taken = set()
    mapped_of = {}
    result = []
    for pair in pairs:
        pair = (int(pair[0]), int(pair[1]))
        if pair in mapped_of:
            result.append(mapped_of[pair])
            continue
        base = (_axis_frequency(pair[0], height), _axis_frequency(pair[1], width))
        nonzero = pair != (0, 0)
        target = base
        if base in taken or (nonzero and base == (0, 0)):
            free = [f for f in grid if f not in taken and (f != (0, 0) or not nonzero)]
            if not free and (0, 0) not in taken:
                free = [(0, 0)]  # the last free frequency: distinct, so no copy of anything
            if not free and nonzero and base == (0, 0):
                free = [f for f in grid if f != (0, 0)]  # full grid: anything but (0, 0)
            if free:
                target = min(free, key=lambda f: ((f[0] - base[0])**2 + (f[1] - base[1])**2,
                                                  f[0] + f[1], f[0]))
        taken.add(target)
        mapped_of[pair] = target
        result.append(target)
    return result


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
