"""The ReID retrieval metric: mAP, CMC and mINP with the standard protocols."""
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmdenoise.registry import METRICS
from ..functional.distance import DISTANCES, normalize_, pairwise_distance
from ..functional.ranking import PROTOCOLS, RankingProtocol, rank_queries, summarize
from ..functional.rerank import KReciprocalReranker

SPLIT_CODES = {'query': 0, 'gallery': 1}


def _field(sample: Any, key: str, default: Any = None) -> Any:
    """``sample[key]`` for dicts, ``sample.get(key)`` / attribute for data samples."""
    if isinstance(sample, dict):
        return sample.get(key, default)
    if hasattr(sample, 'get'):
        value = sample.get(key, None)
        if value is not None:
            return value
    return getattr(sample, key, default)


def _describe(sample: Any, index: int) -> str:
    """How an error names a data sample: its ``img_path``, else its position."""
    path = _field(sample, 'img_path')
    return repr(str(path)) if path is not None else f'#{index} (no img_path)'


def _to_int(value: Any) -> int:
    if isinstance(value, torch.Tensor):
        return int(value.reshape(-1)[0].item())
    if isinstance(value, np.ndarray):
        return int(value.reshape(-1)[0])
    if isinstance(value, (list, tuple)):
        return int(value[0])
    return int(value)


@METRICS.register_module()
class ReIDMetric(BaseMetric):
    """Person/vehicle ReID evaluation: mAP, CMC rank-k and mINP.

    **Data-sample contract.** ``process`` reads from each data sample (a dict, as MMEngine's
    ``Evaluator`` passes them, or a ``DataSample``-like object with ``.get`` / attributes):

    - ``pred_feature`` (``feature_key``): 1-D feature tensor written by the model;
    - ``pid`` (original identity; falls back to ``gt_label``): int or 1-element tensor;
    - ``camid``: int (0-based camera). Required whenever the protocol reads cameras
      (``RankingProtocol.cameras``, True for ``'market'`` and ``'sysu'``): a sample without
      it raises ``ValueError`` naming its ``img_path``, since treating it as "unknown" would
      silently turn off same-camera removal. ``-1`` is the explicit "this dataset has no
      camera for the image" (VehicleID, CUHK-SYSU): no same-camera removal for that image.
      Not read (may be absent) under a protocol with ``cameras=False`` (``'regdb'``);
    - ``split``: ``'query'`` or ``'gallery'``;
    - optional ``trial`` (int; ``-1`` = shared by all trials), ``img_path`` (used to drop a
      gallery entry that is the query image itself and for rank lists), ``modality``;
    - optional ``pred_feature_flip`` (``flip_feature_key``): features of the flipped image,
      averaged with ``pred_feature``. Flip averaging is normally a model test option (the ReID
      model's ``test_cfg``/TTA computes ``(f(x) + f(flip(x))) / 2`` into ``pred_feature``); this
      key only serves models that return both.

    :class:`~mmdenoise.datasets.PackReIDInputs` packs ``pid``, ``camid``, ``split``, ``trial``,
    ``img_path`` and ``modality`` from the ReID datasets.

    **Protocols** (``protocol``): ``'market'`` (Market-1501 / DukeMTMC / MSMT17 / CUHK03-NP /
    VehicleID / the DG and cross-resolution sets: gallery images of the query's identity and
    camera are ignored), ``'sysu'`` (SYSU-MM01: no same-camera removal, camera 2 (camid 1)
    ignored for camera-3 (camid 2) queries, CMC over de-duplicated gallery identities) and
    ``'regdb'`` (no filtering, no camera ids needed). Gallery identities in ``junk_pids`` are
    ignored; queries without any valid match are left out of the means. Ties in distance keep
    gallery order. With several ``trial`` values the metrics are computed per trial and
    averaged (random splits of VIPeR/PRID/GRID/iLIDS/CAVIAR, SYSU gallery draws, VehicleID
    draws).

    **Results.** ``mAP``, ``R<k>``, ``mINP`` (percent), ``num_queries`` and
    ``num_valid_queries`` (queries with at least one valid gallery match: the ones the means
    are over). With several trials every value is the mean over the trials (the counts too,
    as floats, since each trial's metrics are means over its own valid queries), plus
    ``num_valid_queries_min`` (the smallest trial's count), ``mAP_std`` and ``num_trials``.
    A trial in which *no* query has a valid match raises ``ValueError`` (with the query and
    gallery sizes and the reason) instead of reporting 0.0.

    **Memory.** Distances are computed ``chunk_size`` queries at a time and no row is
    sorted, so memory is ``O((Q + G) * D + chunk_size * G)``; re-ranking keeps sparse
    neighbourhoods only. Works on CPU or GPU (``device``), no compiled extension.

    Args:
        distance (str): ``'cosine'`` (features L2-normalised) or ``'euclidean'`` (squared).
            Defaults to ``'cosine'``.
        normalize_features (bool): L2-normalise before the Euclidean distance (TransReID's
            ``FEAT_NORM``). Defaults to False.
        protocol (str | dict): A name in ``PROTOCOLS`` or the fields of
            :class:`RankingProtocol`. Defaults to ``'market'``.
        topk (Sequence[int]): CMC ranks reported as ``R<k>``. Defaults to ``(1, 5, 10)``.
        junk_pids (Sequence[int]): Gallery identities ignored. Defaults to ``(-1,)``.
        rerank (bool | dict): k-reciprocal re-ranking; a dict sets ``k1``, ``k2``,
            ``lambda_value``. Defaults to False.
        chunk_size (int): Queries per distance chunk. Defaults to 256.
        device (str): ``'cpu'``, ``'cuda'`` or ``'auto'`` (GPU when available).
        dtype (str): ``'float32'`` or ``'float64'`` distances. Defaults to ``'float32'``.
        feature_key (str): Data-sample key of the feature. Defaults to ``'pred_feature'``.
        flip_feature_key (str, optional): Key of flipped-image features to average.
        rank_list_dir (str, optional): Write rank-list images of ``num_rank_lists`` queries
            there (see :func:`mmdenoise.visualization.draw_rank_list`).
        num_rank_lists (int): Queries drawn (evenly spaced). Defaults to 20.
        rank_list_topk (int): Gallery images per rank list. Defaults to 10.
        collect_device (str): Device for collecting results across ranks.
        prefix (str, optional): Metric name prefix. Defaults to ``'reid'``.
    """

    default_prefix = 'reid'

    def __init__(self,
                 distance: str = 'cosine',
                 normalize_features: bool = False,
                 protocol: Union[str, dict] = 'market',
                 topk: Sequence[int] = (1, 5, 10),
                 junk_pids: Sequence[int] = (-1, ),
                 rerank: Union[bool, dict] = False,
                 chunk_size: int = 256,
                 device: str = 'cpu',
                 dtype: str = 'float32',
                 feature_key: str = 'pred_feature',
                 flip_feature_key: Optional[str] = 'pred_feature_flip',
                 rank_list_dir: Optional[str] = None,
                 num_rank_lists: int = 20,
                 rank_list_topk: int = 10,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if distance not in DISTANCES:
            raise ValueError(f'distance must be one of {DISTANCES}, got {distance!r}')
        self.distance = distance
        self.normalize_features = normalize_features
        if isinstance(protocol, str):
            if protocol not in PROTOCOLS:
                raise ValueError(f'protocol must be one of {list(PROTOCOLS)} or a dict, '
                                 f'got {protocol!r}')
            self.protocol = PROTOCOLS[protocol]
        else:
            protocol = dict(protocol)
            protocol['excluded_camera_pairs'] = tuple(
                tuple(p) for p in protocol.get('excluded_camera_pairs', ()))
            self.protocol = RankingProtocol(**protocol)
        self.topk = tuple(sorted(set(int(k) for k in topk)))
        self.junk_pids = tuple(junk_pids)
        self.rerank = dict(rerank) if isinstance(rerank, dict) else ({} if rerank else None)
        self.chunk_size = chunk_size
        if device == 'auto':
            device = 'cuda' if torch.cuda.is_available() else 'cpu'
        self.device = torch.device(device)
        if dtype not in ('float32', 'float64'):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        self.dtype = getattr(torch, dtype)
        self.feature_key = feature_key
        self.flip_feature_key = flip_feature_key
        self.rank_list_dir = rank_list_dir
        self.num_rank_lists = num_rank_lists
        self.rank_list_topk = rank_list_topk

    # ------------------------------------------------------------------ collection
    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        for sample in data_samples:
            feature = _field(sample, self.feature_key)
            if feature is None:
                raise KeyError(f'ReIDMetric: data sample has no {self.feature_key!r}; the '
                               'model must write its feature there')
            feature = torch.as_tensor(feature).detach().reshape(-1)
            if self.flip_feature_key:
                flipped = _field(sample, self.flip_feature_key)
                if flipped is not None:
                    feature = (feature + torch.as_tensor(flipped).detach().reshape(-1)) / 2
            pid = _field(sample, 'pid')
            if pid is None:
                pid = _field(sample, 'gt_label')
            if pid is None:
                raise KeyError('ReIDMetric: data sample has neither "pid" nor "gt_label"')
            split = _field(sample, 'split')
            if split not in SPLIT_CODES:
                raise KeyError(f"ReIDMetric: data sample 'split' must be 'query' or "
                               f"'gallery', got {split!r}")
            camid = _field(sample, 'camid')
            if camid is None and self.protocol.cameras:
                raise ValueError(
                    f'ReIDMetric: data sample {_describe(sample, len(self.results))} has no '
                    "'camid', but the protocol reads camera ids (same-camera removal / camera "
                    'pairs); a missing camid is not taken as "unknown camera". Pack it '
                    "(PackReIDInputs meta_keys must include 'camid'), give camid=-1 where the "
                    'dataset really has no cameras, or use a protocol with cameras=False')
            trial = _field(sample, 'trial')
            self.results.append(
                dict(
                    feature=feature.to('cpu', torch.float32),
                    pid=_to_int(pid),
                    camid=-1 if camid is None else _to_int(camid),
                    split=SPLIT_CODES[split],
                    trial=None if trial is None else _to_int(trial),
                    img_path=_field(sample, 'img_path')))

    # ------------------------------------------------------------------ evaluation
    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        logger = MMLogger.get_current_instance()
        features = torch.stack([r['feature'] for r in results])
        pids = torch.tensor([r['pid'] for r in results])
        camids = torch.tensor([r['camid'] for r in results])
        splits = torch.tensor([r['split'] for r in results])
        trials = [r['trial'] for r in results]
        paths = [r.get('img_path') for r in results]
        summaries = self.evaluate_arrays(
            features, pids, camids, splits, trials, paths, inplace=True)
        metrics = self._average(summaries)
        logger.info('ReID ' + ', '.join(f'{k}: {v:.2f}' for k, v in metrics.items()))
        return metrics

    def evaluate_arrays(self,
                        features: torch.Tensor,
                        pids: torch.Tensor,
                        camids: torch.Tensor,
                        splits: torch.Tensor,
                        trials: Optional[Sequence[Optional[int]]] = None,
                        paths: Optional[Sequence[Optional[str]]] = None,
                        inplace: bool = False) -> List[dict]:
        """Per-trial summaries (fractions) from stacked arrays; see :meth:`compute_metrics`.

        ``inplace=True`` lets the features be normalised in place (saves a copy).
        """
        device = self.device
        converted = features.to(device, self.dtype)
        if converted is features and not inplace:
            converted = converted.clone()
        features = converted
        if self.distance == 'cosine' or self.normalize_features:
            normalize_(features)
        pids, camids, splits = (t.to(device, torch.long) for t in (pids, camids, splits))
        n = len(pids)
        img_ids = None
        if paths is not None and all(p is not None for p in paths):
            codes: Dict[str, int] = {}
            img_ids = torch.tensor([codes.setdefault(p, len(codes)) for p in paths],
                                   device=device)
        trial_of = torch.tensor([-1 if t is None else int(t) for t in (trials or [None] * n)],
                                device=device)
        trial_ids = sorted(set(trial_of.tolist()) - {-1}) or [-1]
        junk = torch.zeros(n, dtype=torch.bool, device=device)
        for pid in self.junk_pids:
            junk |= pids == pid

        summaries = []
        for trial in trial_ids:
            in_trial = (trial_of == trial) | (trial_of == -1)
            q_idx = torch.nonzero(in_trial & (splits == 0)).view(-1)
            g_idx = torch.nonzero(in_trial & (splits == 1) & ~junk).view(-1)
            if len(q_idx) == 0 or len(g_idx) == 0:
                raise ValueError(f'ReIDMetric: trial {trial} has {len(q_idx)} queries and '
                                 f'{len(g_idx)} gallery images')
            distance_fn = self._distance_fn(features, q_idx, g_idx)
            per_query = rank_queries(
                distance_fn,
                pids[q_idx],
                camids[q_idx],
                pids[g_idx],
                camids[g_idx],
                None if img_ids is None else img_ids[q_idx],
                None if img_ids is None else img_ids[g_idx],
                protocol=self.protocol,
                chunk_size=self.chunk_size)
            if not (per_query['num_matches'] > 0).any():
                raise ValueError(self._no_valid_query_message(
                    trial, pids[q_idx], camids[q_idx], pids[g_idx], camids[g_idx]))
            summary = summarize(per_query, self.topk)
            summary['trial'] = trial
            summaries.append(summary)
            if self.rank_list_dir and trial == trial_ids[0]:
                self._save_rank_lists(distance_fn, pids, camids, img_ids, paths, q_idx, g_idx)
        return summaries

    def _distance_fn(self, features, q_idx, g_idx):
        query, gallery = _take(features, q_idx), _take(features, g_idx)
        if self.rerank is not None:
            return KReciprocalReranker(
                query, gallery, self.distance, chunk_size=self.chunk_size, **self.rerank)
        g_sq = gallery.pow(2).sum(1) if self.distance == 'euclidean' else None
        return lambda s, e: pairwise_distance(query[s:e], gallery, self.distance, g_sq)

    def _no_valid_query_message(self, trial, q_pids, q_cams, g_pids, g_cams) -> str:
        where = '' if trial == -1 else f'trial {trial}: '
        num_q, num_g = len(q_pids), len(g_pids)
        in_gallery = torch.isin(q_pids, g_pids)
        head = (f'ReIDMetric: {where}none of the {num_q} queries has a valid match among the '
                f'{num_g} gallery images (junk identities {list(self.junk_pids)} excluded), so '
                'mAP / CMC / mINP are undefined; ')
        if not bool(in_gallery.any()):
            q_ids = sorted(set(q_pids.tolist()))
            g_ids = sorted(set(g_pids.tolist()))
            return head + (f'no query identity is in the gallery (query pids {q_ids[:10]}'
                           f'{"..." if len(q_ids) > 10 else ""}, gallery pids {g_ids[:10]}'
                           f'{"..." if len(g_ids) > 10 else ""}): check that query and '
                           'gallery come from the same test set and that pid is the original '
                           'identity, not a training label')
        rules = []
        if self.protocol.exclude_same_camera:
            rules.append('same identity and camera')
        if self.protocol.excluded_camera_pairs:
            rules.append(f'camera pairs {list(self.protocol.excluded_camera_pairs)}')
        if self.protocol.exclude_same_image:
            rules.append('same image (img_path)')
        return head + (f'{int(in_gallery.sum())} queries have their identity in the gallery, '
                       f'but the protocol removes all those gallery images ({", ".join(rules)})'
                       f': check the camids (query cameras {sorted(set(q_cams.tolist()))}, '
                       f'gallery cameras {sorted(set(g_cams.tolist()))}) and that query and '
                       'gallery are different images')

    def _average(self, summaries: List[dict]) -> Dict[str, float]:
        keys = ['mAP'] + [f'R{k}' for k in self.topk] + ['mINP']
        metrics = {k: float(np.mean([s[k] for s in summaries]) * 100) for k in keys}
        if len(summaries) > 1:
            metrics['mAP_std'] = float(np.std([s['mAP'] for s in summaries]) * 100)
            metrics['num_trials'] = len(summaries)
            for key in ('num_queries', 'num_valid_queries'):
                metrics[key] = float(np.mean([s[key] for s in summaries]))
            metrics['num_valid_queries_min'] = min(s['num_valid_queries'] for s in summaries)
        else:
            metrics['num_queries'] = summaries[0]['num_queries']
            metrics['num_valid_queries'] = summaries[0]['num_valid_queries']
        return metrics

    # ------------------------------------------------------------------ rank lists
    def _save_rank_lists(self, distance_fn, pids, camids, img_ids, paths, q_idx,
                         g_idx) -> None:
        from mmdenoise.visualization import save_rank_list
        if paths is None or any(p is None for p in paths):
            MMLogger.get_current_instance().warning(
                'ReIDMetric: no img_path in the data samples, rank lists skipped')
            return
        picks = np.unique(
            np.linspace(0, len(q_idx) - 1, min(self.num_rank_lists, len(q_idx))).astype(int))
        for i in picks.tolist():
            dist = distance_fn(i, i + 1)[0]
            keep = valid_gallery_mask(self.protocol, pids[q_idx[i]], camids[q_idx[i]],
                                      None if img_ids is None else img_ids[q_idx[i]],
                                      pids[g_idx], camids[g_idx],
                                      None if img_ids is None else img_ids[g_idx])
            dist = torch.where(keep, dist, torch.full_like(dist, float('inf')))
            k = min(self.rank_list_topk, int(keep.sum()))
            top = torch.topk(dist, k, largest=False).indices
            gallery = [g_idx[j] for j in top.tolist()]
            query_path = paths[int(q_idx[i])]
            save_rank_list(
                query_path, [paths[int(j)] for j in gallery],
                [bool(pids[j] == pids[q_idx[i]]) for j in gallery],
                osp.join(self.rank_list_dir,
                         f'{i:05d}_{osp.splitext(osp.basename(query_path))[0]}.jpg'),
                distances=dist[top].tolist())


def _take(tensor: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``tensor[index]``, as a view (no copy) when ``index`` is a contiguous range."""
    if len(index) and int(index[-1]) - int(index[0]) + 1 == len(index) and bool(
            (index[1:] > index[:-1]).all()):
        return tensor[int(index[0]):int(index[-1]) + 1]
    return tensor[index]


def valid_gallery_mask(protocol: RankingProtocol, q_pid, q_cam, q_img, g_pids, g_cams,
                       g_imgs) -> torch.Tensor:
    """Gallery items one query keeps under ``protocol`` (used for rank lists)."""
    keep = torch.ones_like(g_pids, dtype=torch.bool)
    same_pid = g_pids == q_pid
    if protocol.exclude_same_camera and int(q_cam) >= 0:
        keep &= ~(same_pid & (g_cams == q_cam))
    for q_rule, g_rule in protocol.excluded_camera_pairs:
        if int(q_cam) == q_rule:
            keep &= g_cams != g_rule
    if q_img is not None and protocol.exclude_same_image:
        keep &= ~(same_pid & (g_imgs == q_img))
    return keep
