"""Multi-dataset concatenation and the PackReIDInputs pipeline."""
import os.path as osp

import pytest
import torch
from mmengine.registry import DefaultScope

from mmdenoise.datasets import Market1501, ReIDConcatDataset
from mmdenoise.registry import DATASETS, TRANSFORMS
from reid_layouts import make_market, make_msmt17


@pytest.fixture(scope='module')
def roots(tmp_path_factory):
    base = tmp_path_factory.mktemp('concat')
    return make_market(str(base / 'market')), make_msmt17(str(base / 'msmt'))


def test_concat_relabels_identities_and_cameras_per_source(roots):
    market_root, msmt_root = roots
    ds = DATASETS.build(
        dict(
            type='ReIDConcatDataset',
            datasets=[
                dict(type='Market1501', data_root=market_root, split='train'),
                dict(type='MSMT17', data_root=msmt_root, split='train'),
                Market1501(data_root=market_root, split='train'),
            ]))
    assert isinstance(ds, ReIDConcatDataset)
    assert ds.metainfo['num_classes'] == 3 + 3 + 3
    assert ds.metainfo['sources'] == ('Market1501', 'MSMT17', 'Market1501')
    rows = [ds.get_data_info(i) for i in range(len(ds))]
    assert len(rows) == 7 + 4 + 7
    labels = {}
    for r in rows:
        labels.setdefault(r['source'], set()).add(r['gt_label'])
        assert r['gt_label'] - r['source_label'] == 3 * r['source']
    assert labels == {0: {0, 1, 2}, 1: {3, 4, 5}, 2: {6, 7, 8}}
    # MSMT17 pid 0 and Market pid 2 would collide on raw ids: labels are disjoint instead
    cams = {s: {r['camid'] for r in rows if r['source'] == s} for s in range(3)}
    assert max(cams[0]) < min(cams[1]) and max(cams[1]) < min(cams[2])


def test_concat_rejects_test_sets(roots):
    market_root, _ = roots
    ds = ReIDConcatDataset(
        datasets=[dict(type='Market1501', data_root=market_root, split='test')], lazy_init=True)
    with pytest.raises(ValueError, match='training set'):
        ds.full_init()


@pytest.mark.parametrize('scoped', [True, False])
def test_pack_reid_inputs_pipeline(roots, scoped):
    """``default_scope='mmdenoise'`` finds mmcv transforms through the parent registry; any
    other scope reaches ours with the ``mmdenoise.`` prefix (and mmpretrain's with theirs)."""
    market_root, _ = roots
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(16, 32), keep_ratio=False),
        dict(type='mmpretrain.RandomErasing', erase_prob=1.0, mode='const', fill_color=0),
        dict(type='PackReIDInputs' if scoped else 'mmdenoise.PackReIDInputs'),
    ]
    with DefaultScope.overwrite_default_scope('mmdenoise' if scoped else None):
        ds = Market1501(data_root=market_root, split='test', pipeline=pipeline)
        item = ds[0]
    assert isinstance(item['inputs'], torch.Tensor)
    assert item['inputs'].shape == (3, 32, 16)
    sample = item['data_samples']
    assert sample.gt_label.tolist() == [ds.get_data_info(0)['pid']]
    assert sample.pid == ds.get_data_info(0)['pid']
    assert sample.split == 'query' and sample.camid == 0
    assert osp.isfile(sample.img_path)
    assert sample.img_shape == (32, 16)
    assert (item['inputs'] == 0).any()  # the mmpretrain transform ran


def test_pack_reid_inputs_grayscale_and_errors():
    pack = TRANSFORMS.build(dict(type='PackReIDInputs', meta_keys=('pid', )))
    out = pack(dict(img=torch.zeros(1).numpy().reshape(1, 1).repeat(5, 0).repeat(3, 1),
                    gt_label=4, pid=9, camid=1))
    assert out['inputs'].shape == (1, 5, 3)
    assert out['data_samples'].pid == 9 and 'camid' not in out['data_samples']
    with pytest.raises(KeyError, match='LoadImageFromFile'):
        pack(dict(gt_label=1))
