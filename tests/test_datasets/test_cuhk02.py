"""CUHK02 as a DG training source (mmdenoise.datasets.CUHK02): identities are (pair, pid)."""
import os.path as osp

import pytest

from mmdenoise.datasets import CUHK02, DatasetLayoutError, ReIDConcatDataset
from reid_layouts import make_market, write_image


def _make(root, pairs=(1, 2, 3, 4, 5)):
    for pair in pairs:
        for cam in ('cam1', 'cam2'):
            for pid in (1, 2):  # the same numbers in every pair: different people
                for k in range(2):
                    write_image(osp.join(root, 'cuhk02', 'Dataset', f'P{pair}', cam,
                                         f'{pid:03d}_{k}.png'))
    return root


def test_identities_are_pair_and_number_and_cameras_are_per_pair(tmp_path):
    root = _make(str(tmp_path))
    ds = CUHK02(data_root=root)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert len(infos) == 5 * 2 * 2 * 2
    assert ds.metainfo['num_classes'] == 10  # 2 numbers x 5 pairs
    assert sorted({r['camid'] for r in infos}) == list(range(10))
    p3 = [r for r in infos if '/P3/' in r['img_path']]
    assert {r['pid'] for r in p3} == {300001, 300002}
    assert {r['camid'] for r in p3 if '/cam1/' in r['img_path']} == {4}
    # the same identity is seen by both cameras of its pair
    ident = [r for r in infos if r['pid'] == 300001]
    assert {r['camid'] for r in ident} == {4, 5} and len({r['gt_label'] for r in ident}) == 1
    # data_root may be cuhk02/ or cuhk02/Dataset too; a subset of pairs
    assert len(CUHK02(data_root=osp.join(root, 'cuhk02', 'Dataset'))) == 40
    assert CUHK02(data_root=root, pairs=(5, )).metainfo['num_classes'] == 2


def test_concatenates_with_other_sources(tmp_path):
    root = _make(str(tmp_path / 'c2'), pairs=(1, 2))
    market = make_market(str(tmp_path / 'market'))
    concat = ReIDConcatDataset(datasets=[
        dict(type='Market1501', data_root=market, split='train'),
        dict(type='CUHK02', data_root=root, pairs=(1, 2))])
    assert concat.metainfo['num_classes'] == 3 + 4


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="only split='train'"):
        CUHK02(data_root=str(tmp_path), split='test')
    with pytest.raises(ValueError, match='subset of'):
        CUHK02(data_root=str(tmp_path), pairs=(6, ))
    with pytest.raises(DatasetLayoutError, match='P1'):
        CUHK02(data_root=str(tmp_path))
    _make(str(tmp_path), pairs=(1, ))
    with pytest.raises(DatasetLayoutError, match='P2'):
        CUHK02(data_root=str(tmp_path))
    write_image(osp.join(str(tmp_path), 'cuhk02', 'Dataset', 'P1', 'cam1', 'person.png'))
    with pytest.raises(DatasetLayoutError, match=r'not named <pid>_<index>'):
        CUHK02(data_root=str(tmp_path), pairs=(1, ))
