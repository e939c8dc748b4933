"""SYSU-MM01 and RegDB visible-infrared protocols."""
import pytest

from mmdenoise.datasets import SYSUMM01, DatasetLayoutError, RegDB
from reid_layouts import make_regdb, make_sysu


def infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


@pytest.fixture(scope='module')
def sysu_root(tmp_path_factory):
    return make_sysu(str(tmp_path_factory.mktemp('sysu') / 'SYSU-MM01'))


def test_sysu_train_uses_train_and_val_ids_with_modalities(sysu_root):
    ds = SYSUMM01(data_root=sysu_root, split='train')
    rows = infos(ds)
    assert ds.metainfo['num_classes'] == 4 and len(rows) == 4 * 6 * 3
    for r in rows:
        cam = r['camid'] + 1
        assert r['modality'] == ('infrared' if cam in (3, 6) else 'visible')


@pytest.mark.parametrize('mode,cams', [('all', {0, 1, 3, 4}), ('indoor', {0, 1})])
def test_sysu_test_protocol(sysu_root, mode, cams):
    rows = infos(SYSUMM01(data_root=sysu_root, split='test', mode=mode))
    query = [r for r in rows if r['split'] == 'query']
    assert len(query) == 2 * 2 * 3  # persons 5, 6 x infrared cams 3, 6 x 3 images
    assert all(r['trial'] == -1 and r['modality'] == 'infrared' for r in query)
    for t in range(10):
        gallery = [r for r in rows if r['split'] == 'gallery' and r['trial'] == t]
        assert {r['camid'] for r in gallery} == cams
        pairs = [(r['pid'], r['camid']) for r in gallery]
        assert len(pairs) == len(set(pairs))  # single-shot: one image per person and camera
        expected = 2 * len(cams) - (1 if 3 in cams else 0)  # person 6 not in camera 4
        assert len(gallery) == expected
    draws = {tuple(r['img_path'] for r in rows if r['split'] == 'gallery' and r['trial'] == t)
             for t in range(10)}
    assert len(draws) > 1


def test_sysu_multishot_and_direction(sysu_root):
    rows = infos(SYSUMM01(data_root=sysu_root, split='test', gallery_shots=10, trials=0))
    assert sum(r['split'] == 'gallery' for r in rows) == 7 * 3  # all 3 images per camera
    v2i = infos(SYSUMM01(data_root=sysu_root, split='test', direction='v2i', trials=0))
    assert {r['modality'] for r in v2i if r['split'] == 'query'} == {'visible'}
    assert {r['modality'] for r in v2i if r['split'] == 'gallery'} == {'infrared'}


def test_sysu_missing_exp_folder(tmp_path):
    (tmp_path / 'cam1').mkdir()
    with pytest.raises(DatasetLayoutError, match='exp'):
        SYSUMM01(data_root=str(tmp_path), split='train')


def test_regdb_trials_and_directions(tmp_path):
    root = make_regdb(str(tmp_path / 'RegDB'))
    train = RegDB(data_root=str(tmp_path), split='train', trials=1)
    rows = infos(train)
    assert train.metainfo['num_classes'] == 3 and len(rows) == 12
    assert {r['modality'] for r in rows} == {'visible', 'infrared'}
    assert all('/2/' in r['img_path'] or '/3/' in r['img_path'] or '/4/' in r['img_path']
               for r in rows)  # trial index 1 = file suffix 2 = persons 2..4
    test = infos(RegDB(data_root=root, split='test'))
    query = [r for r in test if r['split'] == 'query']
    assert len(query) == 4 and {r['modality'] for r in query} == {'visible'}
    assert {r['trial'] for r in test} == {0}
    i2v = infos(RegDB(data_root=root, split='test', direction='i2v', trials=[0, 1]))
    assert {r['modality'] for r in i2v if r['split'] == 'query'} == {'infrared'}
    assert {r['trial'] for r in i2v} == {0, 1}
    with pytest.raises(DatasetLayoutError, match='test_visible_3.txt'):
        RegDB(data_root=root, split='test', trials=2)
