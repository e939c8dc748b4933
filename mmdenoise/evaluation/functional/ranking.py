"""Chunked ReID ranking evaluation: mAP, CMC, mINP, in memory independent of Q x G.

Definitions (per query, after removing the gallery items the protocol ignores; queries without
any remaining true match are excluded from every mean, as in the Market-1501 code, FastReID and
torchreid):

- ranking: valid gallery items sorted by increasing distance; equal distances keep gallery
  order (a stable sort);
- AP: mean over the true matches of the precision at their rank, ``i / rank_i``;
- CMC@k: 1 if the first true match is within the top k;
- INP (Ye et al., "Deep Learning for Person Re-identification: A Survey", TPAMI 2021):
  ``#matches / rank of the last (hardest) match``; mINP is its mean.

Algorithm: queries are processed in chunks of ``chunk_size`` rows of the ``[Q, G]`` distance
matrix, so memory grows with ``chunk_size x G``, never with ``Q x G``. No index sort (argsort)
is needed: each row's *values* are sorted (numpy's vectorised sort on CPU, ``torch.sort`` on
GPU), the query's true matches (its identity's gallery items, found through a precomputed
identity index) are sorted on their own, and ``searchsorted`` of the match distances into the
sorted row gives, for every match, the number of valid non-matches ranked before it. Exact ties
between a match and a non-match (they do occur with float32 distances on large galleries) are
resolved in gallery order by looking at the tied items only.
"""
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np
import torch


@dataclass(frozen=True)
class RankingProtocol:
    """Which gallery items a query ignores, and how CMC counts.

    Attributes:
        exclude_same_camera (bool): Ignore gallery images of the query's identity taken by the
            query's camera (Market-1501 protocol); not applied where a camera id is ``-1``.
        excluded_camera_pairs (tuple): ``(query camid, gallery camid)`` pairs: gallery images of
            that camera are ignored for queries of that camera, whatever their identity (SYSU-MM01:
            ``((2, 1),)``, i.e. camera 2 is not searched for camera-3 queries).
        dedup_gallery_ids (bool): CMC over the ranked list of distinct gallery identities
            (SYSU-MM01 / RegDB code); mAP and mINP use the full ranking.
        exclude_same_image (bool): Ignore a gallery entry with the query's own image id.
        cameras (bool): Whether the protocol reads camera ids. ``True`` (default): every
            sample must carry a ``camid`` (an int; ``-1`` states that the dataset has no camera
            for that image, e.g. VehicleID, and turns same-camera removal off for it), and a
            sample *without* the field is refused by :class:`~mmdenoise.evaluation.ReIDMetric`
            instead of silently counting as ``-1``. ``False``: the protocol uses no camera at
            all (no same-camera removal, no camera pairs: e.g. RegDB), so samples need no
            ``camid`` and any given is ignored. ``cameras=False`` together with a camera rule
            is contradictory and rejected.
    """
    exclude_same_camera: bool = True
    excluded_camera_pairs: Tuple[Tuple[int, int], ...] = ()
    dedup_gallery_ids: bool = False
    exclude_same_image: bool = True
    cameras: bool = True

    def __post_init__(self):
        if not self.cameras and (self.exclude_same_camera or self.excluded_camera_pairs):
            raise ValueError(
                'RankingProtocol: cameras=False (the samples have no camera ids) contradicts '
                f'exclude_same_camera={self.exclude_same_camera} / excluded_camera_pairs='
                f'{self.excluded_camera_pairs}, which need camera ids; set '
                'exclude_same_camera=False and excluded_camera_pairs=() or cameras=True')


#: Named protocols (metric ``protocol=``).
PROTOCOLS: Dict[str, RankingProtocol] = {
    # Market-1501, DukeMTMC, MSMT17, CUHK03-NP, VehicleID, the DG and MLR sets
    'market': RankingProtocol(),
    # SYSU-MM01 (Wu et al.): cross-modality, no same-camera removal, cam 2 hidden from cam-3
    # queries (0-based camids 1 and 2), CMC on de-duplicated gallery identities
    'sysu': RankingProtocol(
        exclude_same_camera=False, excluded_camera_pairs=((2, 1), ), dedup_gallery_ids=True),
    # RegDB: all test images of the other modality, no camera filtering (camera ids unused,
    # so samples need none)
    'regdb': RankingProtocol(exclude_same_camera=False, cameras=False),
}


class _IdentityIndex:
    """Gallery items grouped by identity: for a query pid, its gallery candidates (ascending
    gallery index) as a ``[C, K]`` index matrix."""

    def __init__(self, g_pids: torch.Tensor):
        order = torch.sort(g_pids, stable=True).indices
        self.order = order
        self.unique, self.counts = torch.unique_consecutive(g_pids[order], return_counts=True)
        self.starts = torch.cumsum(self.counts, 0) - self.counts
        # compact identity number of every gallery item (for distinct-id counting)
        self.compact = torch.empty_like(g_pids)
        self.compact[order] = torch.repeat_interleave(
            torch.arange(len(self.unique), device=g_pids.device), self.counts)

    def candidates(self, q_pids: torch.Tensor):
        """``(cand [C, K], in_range [C, K])``: gallery indices with the query's pid."""
        pos = torch.searchsorted(self.unique, q_pids).clamp(max=len(self.unique) - 1)
        found = self.unique[pos] == q_pids
        count = torch.where(found, self.counts[pos], torch.zeros_like(pos))
        k = max(int(count.max()), 1) if len(count) else 1
        ar = torch.arange(k, device=q_pids.device)
        in_range = ar[None] < count[:, None]
        flat = (self.starts[pos][:, None] + ar[None]).clamp(max=len(self.order) - 1)
        return self.order[flat], in_range


def _camera_pair_mask(q_cams, cams, pairs):
    """``mask[i, j]``: item ``j`` (camera ``cams[..., j]``) is hidden from query ``i``."""
    mask = None
    for q_cam, g_cam in pairs:
        m = (q_cams[:, None] == q_cam) & (cams == g_cam)
        mask = m if mask is None else mask | m
    return mask


def rank_queries(distance_fn: Callable[[int, int], torch.Tensor],
                 q_pids: torch.Tensor,
                 q_cams: torch.Tensor,
                 g_pids: torch.Tensor,
                 g_cams: torch.Tensor,
                 q_imgs: Optional[torch.Tensor] = None,
                 g_imgs: Optional[torch.Tensor] = None,
                 protocol: RankingProtocol = PROTOCOLS['market'],
                 chunk_size: int = 256,
                 overlap: bool = True) -> Dict[str, np.ndarray]:
    """Per-query AP, first-match rank, INP (and distinct-identity first-match rank).

    Args:
        distance_fn: ``distance_fn(start, end)`` returns the ``[end - start, G]`` distances of
            queries ``start:end`` to the whole gallery.
        q_pids, q_cams, g_pids, g_cams: int64 tensors on the device of the distances.
        q_imgs, g_imgs: Optional int64 image ids (same id = same image).
        protocol: A :class:`RankingProtocol`.
        chunk_size: Queries per chunk.
        overlap: On CPU, rank a chunk in a worker thread while the next chunk's distances
            are computed. Results do not depend on it.

    Returns:
        dict of float64 arrays of length Q: ``ap``, ``first_rank`` (1-based), ``inp``,
        ``num_matches`` (0 marks a query without valid match), ``dedup_first_rank`` (only with
        ``protocol.dedup_gallery_ids``).
    """
    num_query, num_gallery = len(q_pids), len(g_pids)
    out = {k: np.zeros(num_query) for k in ('ap', 'first_rank', 'inp', 'num_matches')}
    if protocol.dedup_gallery_ids:
        out['dedup_first_rank'] = np.zeros(num_query)
    if num_query == 0 or num_gallery == 0:
        return out
    if not protocol.exclude_same_image or q_imgs is None or g_imgs is None:
        q_imgs = g_imgs = None
    index = _IdentityIndex(g_pids)

    def rank(start: int, end: int, dist: torch.Tensor) -> None:
        sl = slice(start, end)
        chunk = _rank_chunk(dist, q_pids[sl], q_cams[sl], None if q_imgs is None else q_imgs[sl],
                            g_pids, g_cams, g_imgs, index, protocol)
        for key, value in chunk.items():
            out[key][sl] = value

    # On CPU, chunk i is ranked in a worker thread while the distances of chunk i + 1 are
    # computed (numpy's sort and torch's kernels release the GIL): at most two chunks live.
    overlap = overlap and q_pids.device.type == 'cpu' and num_query > chunk_size
    with ThreadPoolExecutor(max_workers=1) if overlap else nullcontext() as pool:
        pending = None
        for start in range(0, num_query, chunk_size):
            end = min(start + chunk_size, num_query)
            dist = distance_fn(start, end)
            if dist.shape != (end - start, num_gallery):
                raise ValueError(f'distance_fn returned shape {tuple(dist.shape)}, expected '
                                 f'{(end - start, num_gallery)}')
            if pending is not None:
                pending.result()
            if overlap:
                pending = pool.submit(rank, start, end, dist)
            else:
                rank(start, end, dist)
            del dist
        if pending is not None:
            pending.result()
    return out


def sort_rows(values: torch.Tensor) -> torch.Tensor:
    """Row-wise ascending sort of values only (no indices).

    On CPU numpy's vectorised sort (AVX-512 in numpy >= 1.25) is about 10x faster than
    ``torch.sort`` for this shape; on GPU ``torch.sort`` is used.
    """
    if values.device.type == 'cpu':
        return torch.from_numpy(np.sort(values.numpy(), axis=1))
    return torch.sort(values, dim=1).values


def _rank_chunk(dist, q_pid, q_cam, q_img, g_pid, g_cam, g_img, index: _IdentityIndex,
                protocol: RankingProtocol) -> Dict[str, np.ndarray]:
    num_rows = dist.shape[0]
    device = dist.device
    inf = torch.tensor(float('inf'), dtype=dist.dtype, device=device)

    # 1. the query's same-identity gallery items; the valid ones are its true matches
    cand, in_range = index.candidates(q_pid)
    cand_cam = g_cam[cand]
    valid = in_range.clone()
    if protocol.exclude_same_camera:
        valid &= ~((cand_cam == q_cam[:, None]) & (q_cam[:, None] >= 0) & (cand_cam >= 0))
    pairs = protocol.excluded_camera_pairs
    counted = in_range  # same-identity items present in the (filtered) row
    if pairs:
        hidden_cand = _camera_pair_mask(q_cam, cand_cam, pairs)
        valid &= ~hidden_cand
        counted = in_range & ~hidden_cand
    if q_img is not None:
        valid &= g_img[cand] != q_img[:, None]
    num_matches = valid.sum(1)
    cand_dist = dist.gather(1, cand)
    match_dist, order = torch.sort(torch.where(valid, cand_dist, inf), dim=1, stable=True)
    match_index = cand.gather(1, order)  # gallery index of each sorted match
    same_dist = torch.sort(torch.where(counted, cand_dist, inf), dim=1).values

    # 2. items hidden by a camera-pair rule leave the row (pushed to +inf)
    hidden = None
    if pairs:
        hidden = _camera_pair_mask(q_cam, g_cam[None], pairs)
        dist = dist.masked_fill(hidden, float('inf'))

    # 3. non-matches ranked before each match: items closer than it minus same-identity ones
    sorted_row = sort_rows(dist)
    closer = torch.searchsorted(sorted_row, match_dist)
    equal = torch.searchsorted(sorted_row, match_dist, right=True) - closer
    same_closer = torch.searchsorted(same_dist, match_dist)
    same_equal = torch.searchsorted(same_dist, match_dist, right=True) - same_closer
    negatives_before = (closer - same_closer).to(torch.float64)
    del sorted_row

    # 4. exact ties between a match and a non-match: the stable order puts the non-match
    #    first iff its gallery index is smaller
    k = cand.shape[1]
    j = torch.arange(k, device=device, dtype=torch.float64)
    is_match = j[None] < num_matches[:, None]
    tied = is_match & (equal != same_equal)
    rows = torch.nonzero(tied.any(1)).view(-1).tolist()
    exact_rows = rows if protocol.dedup_gallery_ids else []
    if rows and not protocol.dedup_gallery_ids:
        negatives_before += _tied_negatives_before(dist, rows, match_dist, match_index, tied,
                                                   g_pid, q_pid)

    # 5. ranks of the matches, AP, CMC, INP
    rank = negatives_before + j[None] + 1
    n = num_matches.clamp(min=1).to(torch.float64)
    ap = torch.where(is_match, (j[None] + 1) / rank, torch.zeros_like(rank)).sum(1) / n
    first_rank = rank[:, 0]
    last_rank = rank.gather(1, (num_matches - 1).clamp(min=0)[:, None])[:, 0]
    inp = n / last_rank
    result = dict(ap=ap, first_rank=first_rank, inp=inp, num_matches=num_matches.double())

    if protocol.dedup_gallery_ids:
        # distinct non-matching identities ranked before the first match
        before = (dist < match_dist[:, :1]) & (g_pid[None] != q_pid[:, None])
        rows, cols = before.nonzero(as_tuple=True)
        num_ids = len(index.unique)
        distinct = torch.unique(rows * num_ids + index.compact[cols]) // num_ids
        result['dedup_first_rank'] = torch.bincount(
            distinct, minlength=num_rows).to(torch.float64) + 1

    result = {key: value.cpu().numpy() for key, value in result.items()}
    for row in exact_rows:
        exact = rank_row_exact(dist[row], q_pid[row], q_cam[row],
                               None if q_img is None else q_img[row], g_pid, g_cam, g_img,
                               protocol)
        for key, value in exact.items():
            result[key][row] = value
    return result


def _tied_negatives_before(dist, rows, match_dist, match_index, tied, g_pid,
                           q_pid) -> torch.Tensor:
    """``[C, K]`` counts: for each match of the given rows, the non-matches at exactly its
    distance that precede it in gallery order (stable sort). One pass over the row per tied
    value; exact float ties are rare but do occur on large float32 galleries. Done in numpy:
    these small, latency-bound steps are cheaper there than as many torch kernel calls."""
    on_cpu = dist.device.type == 'cpu'
    dist_rows = dist.numpy() if on_cpu else dist[torch.tensor(rows)].cpu().numpy()
    match_dist, match_index, tied = (t.cpu().numpy() for t in (match_dist, match_index, tied))
    g_pid, q_pid = g_pid.cpu().numpy(), q_pid.cpu().numpy()
    extra = np.zeros(match_dist.shape)
    for n, row in enumerate(rows):
        values = match_dist[row]
        dist_row = dist_rows[row if on_cpu else n]
        for value in np.unique(values[tied[row]]):
            items = np.flatnonzero(dist_row == value)
            items = items[g_pid[items] != q_pid[row]]
            matches = np.flatnonzero(values == value)
            extra[row, matches] = (items[None, :] < match_index[row, matches][:, None]).sum(1)
    return torch.from_numpy(extra).to(dist.device)


def rank_row_exact(dist_row, q_pid, q_cam, q_img, g_pid, g_cam, g_img,
                   protocol: RankingProtocol) -> Dict[str, float]:
    """Same quantities for one query by a full stable sort (used on exact ties)."""
    same_pid = g_pid == q_pid
    keep = torch.ones_like(same_pid)
    if protocol.exclude_same_camera and int(q_cam) >= 0:
        keep &= ~(same_pid & (g_cam == q_cam))
    for q_cam_rule, g_cam_rule in protocol.excluded_camera_pairs:
        if int(q_cam) == q_cam_rule:
            keep &= g_cam != g_cam_rule
    if q_img is not None:
        keep &= ~(same_pid & (g_img == q_img))
    kept = torch.nonzero(keep).view(-1)
    order = kept[torch.sort(dist_row[kept], stable=True).indices]
    hits = torch.nonzero(same_pid[order]).view(-1).to(torch.float64) + 1
    num = len(hits)
    if num == 0:
        return dict(ap=0.0, first_rank=0.0, inp=0.0, num_matches=0.0)
    result = dict(
        ap=float((torch.arange(1, num + 1, dtype=torch.float64, device=hits.device) /
                  hits).mean()),
        first_rank=float(hits[0]),
        inp=num / float(hits[-1]),
        num_matches=float(num))
    if protocol.dedup_gallery_ids:
        ranked_ids = g_pid[order][:int(hits[0])].tolist()
        result['dedup_first_rank'] = float(len(dict.fromkeys(ranked_ids)))
    return result


def summarize(per_query: Dict[str, np.ndarray], topk: Sequence[int]) -> Dict[str, float]:
    """Means over the queries with at least one valid match (fractions in [0, 1]).

    The summary also holds ``num_valid_queries`` (queries with at least one valid match, the
    ones the means are over) and ``num_queries``. Raises ``ValueError`` when no query has a
    valid match: the means are then undefined, and reporting 0.0 would pass off a broken
    query / gallery (or protocol) as a bad model.
    """
    valid = per_query['num_matches'] > 0
    num_valid = int(valid.sum())
    first = per_query['dedup_first_rank'] if 'dedup_first_rank' in per_query else \
        per_query['first_rank']
    summary = dict(num_valid_queries=num_valid, num_queries=int(len(valid)))
    if num_valid == 0:
        raise ValueError(f'summarize: none of the {len(valid)} queries has a valid gallery '
                         'match (num_matches is 0 for all): mAP / CMC / mINP are undefined')
    summary['mAP'] = float(per_query['ap'][valid].mean())
    summary['mINP'] = float(per_query['inp'][valid].mean())
    for k in topk:
        summary[f'R{k}'] = float((first[valid] <= k).mean())
    return summary


def cmc_curve(per_query: Dict[str, np.ndarray], max_rank: int) -> np.ndarray:
    """CMC values for ranks 1..max_rank over the valid queries."""
    valid = per_query['num_matches'] > 0
    first = per_query.get('dedup_first_rank', per_query['first_rank'])[valid]
    if not len(first):
        return np.zeros(max_rank)
    return np.array([(first <= r).mean() for r in range(1, max_rank + 1)])
