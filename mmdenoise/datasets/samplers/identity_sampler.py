"""Identity-balanced samplers: P identities x K instances per batch.

The "PK" sampling of the triplet-loss literature (Hermans et al., "In Defense of the Triplet
Loss", 2017; FastReID ``NaiveIdentitySampler``, torchreid ``RandomIdentitySampler``), written
as an MMEngine sampler so that the data loader keeps a plain ``batch_size``.

An epoch is built the same way on every rank from ``seed + epoch``:

1. each identity gets ``max(1, n_images // K)`` "chunks" of K images (an identity with fewer
   than K images is resampled with replacement up to K);
2. ``num_batches = total_chunks // P`` global batches are drawn; each takes P *distinct*
   identities, chosen at random with probability proportional to their remaining chunks
   (identities whose chunks are used up fill in when fewer than P remain);
3. each chosen identity contributes its next K images (a fresh shuffle of its images when
   fewer than K are left);
4. global batches are dealt round-robin to the ranks (rank r gets batches r, r+W, ...), after
   dropping the last ``num_batches % W``, so the ranks see disjoint batches that together form
   the global sequence.

Each rank yields ``(num_batches // W) * P * K`` indices; the data loader's ``batch_size``
must be ``P * K`` (``2 * P * K`` for :class:`CrossModalityIdentitySampler`).
"""
from typing import Dict, Iterator, List, Optional, Sequence

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmdenoise.registry import DATA_SAMPLERS


def _dataset_infos(dataset) -> List[dict]:
    """Per-index record dicts (without running the pipeline)."""
    if hasattr(dataset, 'get_data_info'):
        return [dataset.get_data_info(i) for i in range(len(dataset))]
    if hasattr(dataset, 'data_list'):
        return list(dataset.data_list)
    raise TypeError(f'{type(dataset).__name__} has neither get_data_info nor data_list')


@DATA_SAMPLERS.register_module()
class IdentitySampler(Sampler):
    """P identities x K instances per batch, distributed-aware and seeded.

    Args:
        dataset: Dataset whose records (``get_data_info(i)``) carry ``label_key``.
        num_instances (int): K, images per identity in a batch. Defaults to 4.
        batch_size (int, optional): Per-rank batch size; P = batch_size // K (must divide).
        num_identities (int, optional): P directly; give this or ``batch_size``.
        label_key (str): Record key of the identity. Defaults to ``'gt_label'``.
        seed (int, optional): Random seed shared by all ranks; a synchronised random seed when
            None (as :class:`mmengine.dataset.DefaultSampler`).

    Example::

        train_dataloader = dict(
            batch_size=64,
            sampler=dict(type='IdentitySampler', num_instances=4, batch_size=64),
            dataset=dict(type='Market1501', data_root='data/market1501', split='train'))
    """

    #: images of one identity per batch = groups x K (2 groups for cross-modality)
    num_groups = 1

    def __init__(self,
                 dataset: BaseDataset,
                 num_instances: int = 4,
                 batch_size: Optional[int] = None,
                 num_identities: Optional[int] = None,
                 label_key: str = 'gt_label',
                 seed: Optional[int] = None) -> None:
        if num_instances < 1:
            raise ValueError(f'num_instances must be >= 1, got {num_instances}')
        if (batch_size is None) == (num_identities is None):
            raise ValueError('give exactly one of batch_size and num_identities')
        per_batch = num_instances * self.num_groups
        if batch_size is not None:
            if batch_size % per_batch:
                raise ValueError(f'batch_size {batch_size} is not a multiple of '
                                 f'{per_batch} (num_instances x {self.num_groups})')
            num_identities = batch_size // per_batch
        self.dataset = dataset
        self.num_instances = num_instances
        self.num_identities = num_identities
        self.label_key = label_key
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0

        # pools[pid] = list of index lists, one per group (one group here)
        self.pools = self._build_pools(_dataset_infos(dataset))
        if len(self.pools) < num_identities:
            raise ValueError(f'{type(self).__name__}: {len(self.pools)} usable identities, '
                             f'fewer than P={num_identities} per batch')
        self.pids = sorted(self.pools)
        self.chunks_per_id = np.array([
            max(1, max(len(g) for g in self.pools[p]) // num_instances) for p in self.pids
        ])
        self.num_batches = int(self.chunks_per_id.sum()) // num_identities
        self.batches_per_rank = self.num_batches // self.world_size
        if self.batches_per_rank == 0:
            raise ValueError(f'{type(self).__name__}: {self.num_batches} batches cannot be '
                             f'shared by {self.world_size} ranks')

    @property
    def batch_size(self) -> int:
        """Indices per batch, P x K (x groups)."""
        return self.num_identities * self.num_instances * self.num_groups

    def _build_pools(self, infos: List[dict]) -> Dict[int, List[List[int]]]:
        pools: Dict[int, List[List[int]]] = {}
        for idx, info in enumerate(infos):
            pools.setdefault(int(info[self.label_key]), [[]])[0].append(idx)
        return pools

    def set_epoch(self, epoch: int) -> None:
        """Reshuffle for a new epoch (called by MMEngine's ``DistSamplerSeedHook``)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return self.batches_per_rank * self.batch_size

    def global_batches(self) -> List[List[int]]:
        """All batches of the current epoch, identical on every rank."""
        rng = np.random.default_rng([self.seed, self.epoch])
        K, P = self.num_instances, self.num_identities
        remaining = self.chunks_per_id.astype(np.float64).copy()
        queues: Dict[tuple, List[int]] = {}

        def take(pid: int, group: int) -> List[int]:
            pool = self.pools[pid][group]
            queue = queues.get((pid, group), [])
            if len(queue) < K:
                if len(pool) >= K:
                    queue = [pool[i] for i in rng.permutation(len(pool))]
                else:  # too few images: resample with replacement
                    queue = [pool[i] for i in rng.integers(len(pool), size=K)]
            queues[(pid, group)] = queue[K:]
            return queue[:K]

        batches = []
        all_ids = np.arange(len(self.pids))
        for _ in range(self.num_batches):
            available = np.flatnonzero(remaining > 0)
            if len(available) >= P:
                weights = remaining[available] / remaining[available].sum()
                chosen = rng.choice(available, P, replace=False, p=weights)
            else:
                spent = np.setdiff1d(all_ids, available)
                chosen = np.concatenate(
                    [rng.permutation(available),
                     rng.choice(spent, P - len(available), replace=False)])
            remaining[chosen] = np.maximum(remaining[chosen] - 1, 0)
            pids = [self.pids[i] for i in chosen]
            batch = []
            for group in range(self.num_groups):  # [group 0: P x K | group 1: P x K]
                for pid in pids:
                    batch.extend(take(pid, group))
            batches.append(batch)
        return batches

    def __iter__(self) -> Iterator[int]:
        batches = self.global_batches()[:self.batches_per_rank * self.world_size]
        for batch in batches[self.rank::self.world_size]:
            yield from batch


@DATA_SAMPLERS.register_module()
class CrossModalityIdentitySampler(IdentitySampler):
    """P identities x K visible + K infrared images, for visible-infrared ReID.

    Each batch is ``[visible P*K | infrared P*K]`` with the same identity order in both halves
    (identity i's visible images at ``i*K:(i+1)*K`` and its infrared images at
    ``P*K + i*K:P*K + (i+1)*K``), the layout hetero-center triplet loss expects (Zhu et al.,
    "Hetero-center loss", 2020; Liu et al., "HcTri", 2020). Only identities with images of
    both modalities are sampled. The batch size is ``2 * P * K``; an identity has
    ``max(1, max_modality_images // K)`` chunks per epoch (HcTri draws ``max(#visible,
    #infrared)`` samples per epoch).

    Args:
        modality_key (str): Record key of the modality. Defaults to ``'modality'``.
        modalities (tuple): The two modality values, in batch order. Defaults to
            ``('visible', 'infrared')``.
        **kwargs: See :class:`IdentitySampler` (``batch_size`` is the full 2*P*K batch).
    """

    num_groups = 2

    def __init__(self,
                 dataset: BaseDataset,
                 modality_key: str = 'modality',
                 modalities: Sequence[str] = ('visible', 'infrared'),
                 **kwargs) -> None:
        if len(modalities) != 2:
            raise ValueError(f'modalities must name two modalities, got {modalities}')
        self.modality_key = modality_key
        self.modalities = tuple(modalities)
        super().__init__(dataset, **kwargs)

    def _build_pools(self, infos: List[dict]) -> Dict[int, List[List[int]]]:
        pools: Dict[int, List[List[int]]] = {}
        for idx, info in enumerate(infos):
            modality = info.get(self.modality_key)
            if modality not in self.modalities:
                raise ValueError(f'record {idx} has {self.modality_key}={modality!r}, '
                                 f'expected one of {self.modalities}')
            group = self.modalities.index(modality)
            pools.setdefault(int(info[self.label_key]), [[], []])[group].append(idx)
        return {pid: groups for pid, groups in pools.items() if all(groups)}

