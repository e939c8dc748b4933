"""Base of the small benchmarks evaluated over 10 random identity splits.

VIPeR, PRID2011, GRID, iLIDS and CAVIAR have no fixed train/test split: the community draws
10 random identity splits and averages the test results (torchreid's protocol for the
domain-generalisation targets). A training set uses one trial (``trials=i``); a test set
holds all requested trials at once, each image tagged with its ``trial``, and the metric
averages them. An image that is in the test set of several trials appears once per trial.
"""
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

from .base_reid_dataset import BaseReIDDataset, resolve_trials
from .splits import load_split_file, random_id_split, trial_rng


class RandomSplitReIDDataset(BaseReIDDataset):
    """Dataset whose identities are split at random per trial.

    Subclasses implement :meth:`load_images` (all images, as records with ``img_path``,
    ``pid``, ``camid``), :meth:`split_ids` (identities eligible for the train/test split) and
    :meth:`make_test_records` (query/gallery of one trial); they set :attr:`NUM_TRAIN_IDS`.

    Args:
        data_root (str): Dataset folder.
        split (str): ``'train'``, ``'test'``, ``'query'`` or ``'gallery'``.
        num_trials (int): Number of random splits. Defaults to 10.
        trials (int | list, optional): Trials to build; training uses one (default 0), testing
            all (default).
        seed (int): Seed of the splits. Defaults to 0.
        split_file (str, optional): JSON list of ``{"train": [...], "test": [...]}`` identity
            lists (one per trial) to use published splits instead of random ones.
        num_train_ids (int, optional): Training identities per trial; defaults to the
            protocol's :attr:`NUM_TRAIN_IDS`.
    """

    NUM_TRAIN_IDS = 0

    def __init__(self,
                 data_root: str = '',
                 num_trials: int = 10,
                 trials: Optional[Union[int, Sequence[int]]] = None,
                 seed: int = 0,
                 split_file: Optional[str] = None,
                 num_train_ids: Optional[int] = None,
                 **kwargs):
        self.num_train_ids = self.NUM_TRAIN_IDS if num_train_ids is None else num_train_ids
        self.num_trials = num_trials
        self.trials = trials
        self.seed = seed
        self.split_file = split_file
        super().__init__(data_root=data_root, **kwargs)

    # ------------------------------------------------------------------ to implement
    def load_images(self) -> List[dict]:
        raise NotImplementedError

    def split_ids(self, images: List[dict]) -> List[int]:
        """Identities shared out between train and test (default: all)."""
        return sorted({r['pid'] for r in images})

    def make_test_records(self, images: List[dict], test_ids: List[int],
                          rng: np.random.Generator) -> List[dict]:
        raise NotImplementedError

    # ------------------------------------------------------------------ common logic
    def _id_splits(self, images: List[dict]) -> Dict[int, tuple]:
        trials = resolve_trials(self.trials, self.num_trials, self.split, type(self).__name__)
        fixed = load_split_file(self.split_file, self.num_trials, type(self).__name__)
        ids = self.split_ids(images)
        if fixed is not None:
            unknown = set().union(*(set(fixed[t][0]) | set(fixed[t][1])
                                    for t in trials)) - set(ids)
            if unknown:
                raise self.layout_error(f'{self.split_file} names identities absent from '
                                        f'the dataset: {sorted(unknown)[:10]}')
            return {t: fixed[t] for t in trials}
        if len(ids) <= self.num_train_ids:
            raise self.layout_error(f'found {len(ids)} identities to split, the protocol '
                                    f'trains on {self.num_train_ids} and tests on the rest')
        return {
            t: random_id_split(ids, self.num_train_ids, trial_rng(self.seed, t))
            for t in trials
        }

    def load_train_records(self) -> List[dict]:
        images = self.load_images()
        (trial, (train_ids, _)), = self._id_splits(images).items()
        keep = set(train_ids)
        return [dict(r, trial=trial) for r in images if r['pid'] in keep]

    def load_test_records(self) -> List[dict]:
        images = self.load_images()
        records = []
        for trial, (_, test_ids) in self._id_splits(images).items():
            # a generator independent of the id split, so fixed splits get the same draws
            rng = trial_rng(self.seed + 1, trial)
            for r in self.make_test_records(images, test_ids, rng):
                r['trial'] = trial
                records.append(r)
        return records


def group_by_pid(images: List[dict]) -> Dict[int, List[dict]]:
    """Images of each identity, in input order."""
    groups: Dict[int, List[dict]] = {}
    for r in images:
        groups.setdefault(r['pid'], []).append(r)
    return groups


def cross_camera_test_records(images: List[dict], test_ids: List[int], rng: np.random.Generator,
                              query_camera: int, gallery_shots: int) -> List[dict]:
    """Cross-camera single/multi-shot test set: all images of the test identities taken by
    ``query_camera`` are queries; ``gallery_shots`` image(s) per identity drawn at random from
    its other cameras form the gallery (the cross-resolution protocols)."""
    groups = group_by_pid(images)
    records = []
    for pid in test_ids:
        query = [r for r in groups[pid] if r['camid'] == query_camera]
        others = [r for r in groups[pid] if r['camid'] != query_camera]
        records += [dict(r, split='query') for r in query]
        shots = rng.choice(len(others), min(gallery_shots, len(others)), replace=False)
        records += [dict(others[i], split='gallery') for i in sorted(shots)]
    return records
