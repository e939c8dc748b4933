"""Small benchmarks with 10 random identity splits: VIPeR, PRID2011, GRID, iLIDS, CAVIAR."""
import json
import os.path as osp

import pytest

from mmdenoise.datasets import CAVIAR, GRID, ILIDS, PRID2011, DatasetLayoutError, VIPeR
from reid_layouts import (make_caviar, make_grid, make_ilids, make_prid, make_viper,
                          write_image)


def infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def split_ids(rows, split, trial=None):
    return sorted({r['pid'] for r in rows if r['split'] == split
                   and (trial is None or r['trial'] == trial)})


def test_viper_trials_are_disjoint_seeded_and_directional(tmp_path):
    root = make_viper(str(tmp_path / 'VIPeR'))
    test = infos(VIPeR(data_root=root, split='test', num_train_ids=10))
    assert sorted({r['trial'] for r in test}) == list(range(10))
    test_sets = []
    for t in range(10):
        train = VIPeR(data_root=root, split='train', num_train_ids=10, trials=t)
        train_ids = {r['pid'] for r in infos(train)}
        query, gallery = split_ids(test, 'query', t), split_ids(test, 'gallery', t)
        assert len(train_ids) == 10 and len(train) == 20  # both views
        assert query == gallery and len(query) == 10
        assert not train_ids & set(query)
        assert all(r['camid'] == 0 for r in test if r['trial'] == t and r['split'] == 'query')
        test_sets.append(tuple(query))
    assert len(set(test_sets)) > 1  # the splits differ between trials
    again = infos(VIPeR(data_root=root, split='test', num_train_ids=10, trials=[3]))
    assert split_ids(again, 'query') == list(test_sets[3])  # seeded, trial-local
    other_seed = infos(VIPeR(data_root=root, split='test', num_train_ids=10, trials=3, seed=1))
    assert split_ids(other_seed, 'query') != list(test_sets[3])
    b2a = infos(VIPeR(data_root=root, split='test', num_train_ids=10, trials=0,
                      direction='b2a'))
    assert all(r['camid'] == 1 for r in b2a if r['split'] == 'query')


def test_viper_errors(tmp_path):
    root = make_viper(str(tmp_path / 'VIPeR'))
    with pytest.raises(DatasetLayoutError, match='identities to split'):
        VIPeR(data_root=root, split='train')  # the protocol's 316 training ids
    with pytest.raises(ValueError, match='one trial'):
        VIPeR(data_root=root, split='train', trials=[0, 1], num_train_ids=5)
    write_image(osp.join(root, 'cam_a', '999_0.bmp'))
    with pytest.raises(DatasetLayoutError, match='same non-zero number'):
        VIPeR(data_root=root, split='train', num_train_ids=10)
    with pytest.raises(DatasetLayoutError, match='cam_a'):
        VIPeR(data_root=str(tmp_path), split='train')


def test_split_file_fixes_the_identities(tmp_path):
    root = make_viper(str(tmp_path / 'VIPeR'), num_ids=6)
    split_file = str(tmp_path / 'splits.json')
    with open(split_file, 'w') as f:
        json.dump([{'train': [0, 1, 2], 'test': [3, 4, 5]}] * 10, f)
    ds = VIPeR(data_root=root, split='test', trials=2, split_file=split_file)
    assert split_ids(infos(ds), 'query') == [3, 4, 5]


def test_prid_distractors_only_in_gallery(tmp_path):
    root = make_prid(str(tmp_path / 'prid_2011'))
    train = infos(PRID2011(data_root=str(tmp_path), split='train', num_train_ids=3))
    assert len({r['pid'] for r in train}) == 3 and len(train) == 6
    test = infos(PRID2011(data_root=root, split='test', num_train_ids=3, trials=0))
    query, gallery = split_ids(test, 'query'), split_ids(test, 'gallery')
    assert len(query) == 3 and all(p <= 6 for p in query)
    assert gallery == sorted(query + [201, 202, 203, 204, 205])
    assert not {r['pid'] for r in train} & set(query)
    assert 250 not in {r['pid'] for r in test + train}  # cam_a-only person unused


def test_grid_distractors_and_cameras(tmp_path):
    root = make_grid(str(tmp_path / 'underground_reid'))
    test = infos(GRID(data_root=root, split='test', num_train_ids=5, trials=0))
    assert sum(r['split'] == 'query' for r in test) == 5
    gallery = [r for r in test if r['split'] == 'gallery']
    assert sum(r['pid'] == 0 for r in gallery) == 5 and len(gallery) == 10
    assert {r['camid'] for r in test if r['split'] == 'query'} == {0}
    train = GRID(data_root=root, split='train', num_train_ids=5, trials=0)
    assert train.metainfo['num_classes'] == 5 and len(train) == 10


def test_ilids_one_query_one_gallery_per_test_person(tmp_path):
    root = make_ilids(str(tmp_path / 'ilids'))
    test = infos(ILIDS(data_root=root, split='test', num_train_ids=4, trials=[0, 1]))
    for t in (0, 1):
        rows = [r for r in test if r['trial'] == t]
        assert len(rows) == 8
        by_pid = {}
        for r in rows:
            by_pid.setdefault(r['pid'], []).append(r)
        for pair in by_pid.values():
            assert sorted((r['split'], r['camid']) for r in pair) == [('gallery', 1),
                                                                     ('query', 0)]
            assert pair[0]['img_path'] != pair[1]['img_path']
    train = ILIDS(data_root=root, split='train', num_train_ids=4)
    assert len(train) == 16 and {r['camid'] for r in infos(train)} == {-1}
    write_image(osp.join(root, 'images', 'bad.jpg'))
    with pytest.raises(DatasetLayoutError, match='bad.jpg'):
        ILIDS(data_root=root, split='train', num_train_ids=4)


def test_caviar_cross_resolution_protocol(tmp_path):
    root = make_caviar(str(tmp_path / 'CAVIAR4REID'))
    test = infos(CAVIAR(data_root=str(tmp_path), split='test', num_train_ids=3, trials=0))
    query = [r for r in test if r['split'] == 'query']
    gallery = [r for r in test if r['split'] == 'gallery']
    assert len(query) == 30 and {r['camid'] for r in query} == {1}
    assert len(gallery) == 3 and {r['camid'] for r in gallery} == {0}
    assert split_ids(test, 'query') == split_ids(test, 'gallery')
    assert all(p < 100 for p in split_ids(test, 'query'))  # one-camera persons dropped
    train = CAVIAR(data_root=root, split='train', num_train_ids=3)
    assert train.metainfo['num_classes'] == 3 and len(train) == 60
    with_single = CAVIAR(data_root=root, split='train', num_train_ids=3,
                         keep_single_camera_ids=True)
    assert with_single.metainfo['num_classes'] == 5 and len(with_single) == 80
    multi = infos(CAVIAR(data_root=root, split='test', num_train_ids=3, trials=0,
                         gallery_shots=4, query_camera=0))
    assert sum(r['split'] == 'gallery' for r in multi) == 12


def test_split_file_with_unknown_identity(tmp_path):
    root = make_viper(str(tmp_path / 'VIPeR'), num_ids=6)
    split_file = str(tmp_path / 'splits.json')
    with open(split_file, 'w') as f:
        json.dump([{'train': [0, 1, 2], 'test': [3, 4, 99]}] * 10, f)
    with pytest.raises(DatasetLayoutError, match='99'):
        VIPeR(data_root=root, split='test', trials=0, split_file=split_file)
