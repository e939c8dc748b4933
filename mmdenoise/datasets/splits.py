"""Seeded random identity splits and trials shared by the small-benchmark parsers.

Every trial draws from its own generator ``numpy.random.default_rng([seed, trial])``, so a
trial does not change when ``num_trials`` changes and parsers agree on a split whatever the
order in which they are built.
"""
import json
import os
from typing import List, Optional, Sequence, Tuple

import numpy as np


def trial_rng(seed: int, trial: int) -> np.random.Generator:
    """The random generator of one trial."""
    return np.random.default_rng([int(seed), int(trial)])


def random_id_split(ids: Sequence, num_train: int,
                    rng: np.random.Generator) -> Tuple[List, List]:
    """Split identities into ``num_train`` training ids and the rest (both sorted)."""
    ids = sorted(ids)
    if not 0 <= num_train <= len(ids):
        raise ValueError(f'cannot take {num_train} training ids out of {len(ids)}')
    order = rng.permutation(len(ids))
    train = sorted(ids[i] for i in order[:num_train])
    test = sorted(ids[i] for i in order[num_train:])
    return train, test


def load_split_file(path: Optional[str], num_trials: int, name: str):
    """Fixed identity splits from a JSON list of ``{"train": [...], "test": [...]}`` (one per
    trial), to reproduce published splits; ``None`` when no file is given."""
    if path is None:
        return None
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{name}: split_file {path!r} not found (a JSON list of '
                                '{"train": [...], "test": [...]} identity lists, one per trial)')
    try:
        with open(path, encoding='utf-8') as f:
            splits = json.load(f)
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(f'{name}: split_file {path!r} is not valid JSON ({err})') from None
    if not isinstance(splits, list) or len(splits) < num_trials or not all(
            isinstance(s, dict) and 'train' in s and 'test' in s for s in splits):
        raise ValueError(f'{name}: {path} must hold a JSON list of at least {num_trials} '
                         'objects with "train" and "test" identity lists')
    return [(sorted(s['train']), sorted(s['test'])) for s in splits]
