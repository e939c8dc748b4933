"""The "Com-" leave-one-out configs: their sources train on every identity (combine_all), the
head has one class per training + test identity of the sources, the target is never a source."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmdenoise.registry import DATASETS
from reid_layouts import make_cuhk03np, make_market, make_msmt17, write_image

CONFIGS = sorted(glob.glob(osp.join(osp.dirname(__file__), '..', '..', 'configs', 'dff',
                                    '*_dg-com-*.py')))


def _tiny_roots(tmp_path):
    cuhk_sysu = str(tmp_path / 'cuhk-sysu')
    for name in ('p1_s1.jpg', 'p1_s2.jpg', 'p2_s3.jpg'):
        write_image(osp.join(cuhk_sysu, 'cropped_images', name))
    return {
        'mmdenoise.Market1501': make_market(str(tmp_path / 'market1501')),
        'mmdenoise.MSMT17': make_msmt17(str(tmp_path / 'msmt17')),
        'mmdenoise.CUHK03NP': make_cuhk03np(str(tmp_path / 'cuhk03-np')),
        'mmdenoise.CUHKSYSU': cuhk_sysu,
    }


def test_there_is_one_com_config_per_leave_one_out_target():
    names = [osp.basename(c) for c in CONFIGS]
    assert len(names) == 3
    assert {n.split('-to-')[1].split('-')[0] for n in names} == {'market1501', 'cuhk03',
                                                                 'msmt17'}


@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
def test_com_config_trains_on_training_and_test_identities(config, tmp_path):
    cfg = Config.fromfile(config)
    plain = Config.fromfile(config.replace('_dg-com-', '_dg-'))
    sources = cfg.train_dataloader.dataset.datasets
    # the same sources as the plain protocol, combined where a test split exists
    assert [s.type for s in sources] == [s.type for s in plain.train_dataloader.dataset.datasets]
    assert all(s.get('combine_all') for s in sources if s.type != 'mmdenoise.CUHKSYSU')
    assert cfg.test_dataloader.dataset.type not in {s.type for s in sources}
    num_ids_all = Config.fromfile(osp.join(osp.dirname(config), '_base_', 'datasets',
                                           'dg-reid_256x128.py')).num_ids_all
    key = {'mmdenoise.Market1501': 'market1501', 'mmdenoise.MSMT17': 'msmt17',
           'mmdenoise.CUHK03NP': 'cuhk03', 'mmdenoise.CUHKSYSU': 'cuhk_sysu'}
    assert cfg.model.head.num_classes == sum(num_ids_all[key[s.type]] for s in sources)
    assert cfg.model.head.num_classes > plain.model.head.num_classes
    # built on tiny layouts, each combined source has its test identities as classes
    roots = _tiny_roots(tmp_path)
    dataset_cfg = dict(cfg.train_dataloader.dataset.to_dict(), pipeline=[])
    for source in dataset_cfg['datasets']:
        source['data_root'] = roots[source['type']]
    combined = DATASETS.build(dataset_cfg)
    for source in dataset_cfg['datasets']:
        source['combine_all'] = False
    train_only = DATASETS.build(dataset_cfg)
    added_ids = {'mmdenoise.Market1501': 2, 'mmdenoise.MSMT17': 2, 'mmdenoise.CUHK03NP': 2,
                 'mmdenoise.CUHKSYSU': 0}
    assert combined.metainfo['num_classes'] == train_only.metainfo['num_classes'] + sum(
        added_ids[s.type] for s in sources)
    assert len(combined) > len(train_only)
