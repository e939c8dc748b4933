"""IdentitySampler and CrossModalityIdentitySampler: P x K batches."""
from collections import Counter
from unittest import mock

import pytest
import torch
from torch.utils.data import DataLoader

from mmdenoise.datasets import CrossModalityIdentitySampler, IdentitySampler
from mmdenoise.registry import DATA_SAMPLERS

MODULE = 'mmdenoise.datasets.samplers.identity_sampler'


class LabelDataset:
    """Minimal dataset: records with gt_label (and modality); items are their indices."""

    def __init__(self, labels, modalities=None):
        self.labels = list(labels)
        self.modalities = modalities

    def __len__(self):
        return len(self.labels)

    def get_data_info(self, idx):
        info = dict(gt_label=self.labels[idx])
        if self.modalities is not None:
            info['modality'] = self.modalities[idx]
        return info

    def __getitem__(self, idx):
        return idx


def uneven_labels():
    """12 identities with 1 to 12 images each (identity 0 has a single image)."""
    return [pid for pid in range(12) for _ in range(pid + 1)]


def batches_of(sampler, size):
    indices = list(sampler)
    assert len(indices) == len(sampler) and len(indices) % size == 0
    return [indices[i:i + size] for i in range(0, len(indices), size)]


def test_batches_have_p_identities_with_k_instances():
    dataset = LabelDataset(uneven_labels())
    sampler = DATA_SAMPLERS.build(
        dict(type='IdentitySampler', num_instances=4, batch_size=16, seed=0),
        default_args=dict(dataset=dataset))
    assert isinstance(sampler, IdentitySampler) and sampler.num_identities == 4
    batches = batches_of(sampler, 16)
    assert len(batches) == sum(max(1, (p + 1) // 4) for p in range(12)) // 4
    for batch in batches:
        labels = [dataset.labels[i] for i in batch]
        counts = Counter(labels)
        assert len(counts) == 4 and set(counts.values()) == {4}
        # identities come as contiguous groups of K
        assert all(len(set(labels[i:i + 4])) == 1 for i in range(0, 16, 4))
    seen = Counter(dataset.labels[i] for b in batches for i in b)
    assert len(seen) >= 10  # identities are spread over the epoch


def test_identities_with_fewer_than_k_images_are_resampled():
    dataset = LabelDataset([0] + [1, 1] + [2] * 8 + [3] * 8)
    sampler = IdentitySampler(dataset, num_instances=4, num_identities=2, seed=1)
    found = False
    for epoch in range(5):
        sampler.set_epoch(epoch)
        for batch in batches_of(sampler, 8):
            for start in range(0, 8, 4):
                group = batch[start:start + 4]
                label = dataset.labels[group[0]]
                assert all(dataset.labels[i] == label for i in group)
                if label == 0:
                    assert group == [0, 0, 0, 0]
                    found = True
                if label == 1:
                    assert set(group) <= {1, 2}
    assert found


def test_deterministic_under_seed_and_epoch():
    dataset = LabelDataset(uneven_labels())
    a = IdentitySampler(dataset, num_instances=2, batch_size=8, seed=7)
    b = IdentitySampler(dataset, num_instances=2, batch_size=8, seed=7)
    c = IdentitySampler(dataset, num_instances=2, batch_size=8, seed=8)
    assert list(a) == list(b)
    assert list(a) != list(c)
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first
    a.set_epoch(0)
    assert list(a) == first


def test_distributed_ranks_are_disjoint_and_complete():
    dataset = LabelDataset(uneven_labels())
    single = IdentitySampler(dataset, num_instances=2, batch_size=4, seed=3)
    global_batches = single.global_batches()
    per_rank = []
    for rank in range(2):
        with mock.patch(f'{MODULE}.get_dist_info', return_value=(rank, 2)):
            sampler = IdentitySampler(dataset, num_instances=2, batch_size=4, seed=3)
        per_rank.append(batches_of(sampler, 4))
    assert len(per_rank[0]) == len(per_rank[1]) == len(global_batches) // 2
    interleaved = [b for pair in zip(*per_rank) for b in pair]
    assert interleaved == global_batches[:len(interleaved)]  # disjoint and complete
    assert per_rank[0] != per_rank[1]


def test_dataloader_with_pk_batch_size():
    dataset = LabelDataset(uneven_labels())
    sampler = IdentitySampler(dataset, num_instances=3, batch_size=9, seed=0)
    loader = DataLoader(dataset, batch_size=9, sampler=sampler)
    for batch in loader:
        labels = torch.tensor(dataset.labels)[batch]
        assert sorted(Counter(labels.tolist()).values()) == [3, 3, 3]


def test_sampler_argument_errors():
    dataset = LabelDataset(uneven_labels())
    with pytest.raises(ValueError, match='multiple'):
        IdentitySampler(dataset, num_instances=4, batch_size=10)
    with pytest.raises(ValueError, match='exactly one'):
        IdentitySampler(dataset, num_instances=4)
    with pytest.raises(ValueError, match='fewer than P'):
        IdentitySampler(dataset, num_instances=4, num_identities=13)


def test_cross_modality_layout():
    labels, modalities = [], []
    for pid in range(6):
        for n in range(3 + pid):
            labels.append(pid)
            modalities.append('visible')
        for n in range(2 + pid % 3):
            labels.append(pid)
            modalities.append('infrared')
    labels += [9, 9]  # identity without infrared images: never sampled
    modalities += ['visible', 'visible']
    dataset = LabelDataset(labels, modalities)
    sampler = DATA_SAMPLERS.build(
        dict(type='CrossModalityIdentitySampler', num_instances=2, batch_size=12, seed=0),
        default_args=dict(dataset=dataset))
    assert isinstance(sampler, CrossModalityIdentitySampler) and sampler.num_identities == 3
    for batch in batches_of(sampler, 12):
        visible, infrared = batch[:6], batch[6:]
        assert all(modalities[i] == 'visible' for i in visible)
        assert all(modalities[i] == 'infrared' for i in infrared)
        v_ids = [labels[i] for i in visible]
        assert v_ids == [labels[i] for i in infrared]  # same identity order
        assert len(set(v_ids)) == 3 and 9 not in v_ids
    with pytest.raises(ValueError, match='modality'):
        CrossModalityIdentitySampler(LabelDataset([0, 1], ['visible', 'rgb']),
                                     num_instances=1, batch_size=2)


def test_built_by_mmengine_runner():
    """``Runner.build_dataloader`` passes ``dataset`` and ``seed``; batches stay P x K."""
    from mmengine.runner import Runner
    dataset = LabelDataset(uneven_labels())
    loader = Runner.build_dataloader(
        dict(batch_size=8, num_workers=0, dataset=dataset,
             sampler=dict(type='mmdenoise.IdentitySampler', num_instances=4, batch_size=8)),
        seed=5)
    assert loader.sampler.seed == 5
    batches = list(loader)
    assert len(batches) == len(loader.sampler) // 8
    for batch in batches:
        assert sorted(Counter(dataset.labels[i] for i in batch).values()) == [4, 4]
