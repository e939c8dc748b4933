"""Market-1501-style parsers: Market1501, DukeMTMCReID, CUHK03NP, ReIDFolderDataset."""
import os.path as osp

import pytest

from mmdenoise.datasets import (CUHK03NP, CUHK03NPRandomSplit, DatasetLayoutError,
                                DukeMTMCReID, Market1501, ReIDFolderDataset)
from mmdenoise.registry import DATASETS
from reid_layouts import make_cuhk03np, make_market, write_image


@pytest.fixture(scope='module')
def market_root(tmp_path_factory):
    return make_market(str(tmp_path_factory.mktemp('market') / 'Market-1501-v15.09.15'))


def test_market_train_relabels_and_keeps_cameras(market_root):
    ds = DATASETS.build(dict(type='Market1501', data_root=market_root, split='train'))
    assert isinstance(ds, Market1501)
    assert len(ds) == 7
    assert ds.metainfo['num_classes'] == 3
    assert ds.metainfo['classes'] == ('2', '7', '10')
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert {(i['pid'], i['gt_label']) for i in infos} == {(2, 0), (7, 1), (10, 2)}
    assert sorted({i['camid'] for i in infos}) == [0, 1, 2]  # cameras 1-3, 0-based
    assert all(i['split'] == 'train' and osp.isfile(i['img_path']) for i in infos)


def test_market_test_drops_junk_keeps_distractors(market_root):
    ds = Market1501(data_root=market_root, split='test')
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    query = [i for i in infos if i['split'] == 'query']
    gallery = [i for i in infos if i['split'] == 'gallery']
    assert len(query) == 2 and len(gallery) == 7  # 9 gallery files minus 2 junk
    assert all(i['pid'] != -1 for i in infos)
    assert sum(i['pid'] == 0 for i in gallery) == 3
    assert all(i['gt_label'] == i['pid'] for i in infos)
    assert ds.metainfo['num_query'] == 2 and ds.metainfo['num_gallery'] == 7
    only_query = Market1501(data_root=market_root, split='query')
    assert len(only_query) == 2


def test_market_accepts_parent_folder(market_root):
    ds = Market1501(data_root=osp.dirname(market_root), split='train')
    assert len(ds) == 7


def test_market_wrong_folder_names_the_layout(tmp_path):
    write_image(str(tmp_path / 'images' / '0001_c1s1_000151_00.jpg'))
    with pytest.raises(DatasetLayoutError) as err:
        Market1501(data_root=str(tmp_path), split='train')
    assert 'bounding_box_train' in str(err.value)
    assert 'Expected layout' in str(err.value)
    with pytest.raises(DatasetLayoutError, match='not a folder'):
        Market1501(data_root=str(tmp_path / 'missing'), split='train')


def test_market_unparseable_name_and_camera_range(tmp_path):
    root = str(tmp_path)
    write_image(osp.join(root, 'bounding_box_train', 'person.jpg'))
    with pytest.raises(DatasetLayoutError, match='person.jpg'):
        Market1501(data_root=root, split='train')
    make_market(str(tmp_path / 'eight'), num_cams=8)
    with pytest.raises(DatasetLayoutError, match='outside 1..6'):
        Market1501(data_root=str(tmp_path / 'eight'), split='test')
    assert len(DukeMTMCReID(data_root=str(tmp_path / 'eight'), split='test')) == 9


def test_cuhk03np_subsets(tmp_path):
    root = make_cuhk03np(str(tmp_path / 'cuhk03-np'))
    labeled = CUHK03NP(data_root=root, subset='labeled', split='test')
    detected = CUHK03NP(data_root=osp.dirname(root), subset='detected', split='test')
    assert len(labeled) == 4 and len(detected) == 6
    assert all(osp.join('detected', '') in detected.get_data_info(i)['img_path']
               for i in range(len(detected)))
    train = CUHK03NP(data_root=root, split='train')
    assert train.metainfo['num_classes'] == 3 and len(train) == 6
    with pytest.raises(ValueError, match='subset'):
        CUHK03NP(data_root=root, subset='both')


def test_cuhk03np_requires_subset_folder(tmp_path):
    root = make_market(str(tmp_path / 'plain'))
    with pytest.raises(DatasetLayoutError, match='labeled'):
        CUHK03NP(data_root=root, split='train')


def test_folder_dataset_custom_dirs_and_no_camera(tmp_path):
    root = str(tmp_path)
    for name in ('3_a.png', '3_b.png', '5_a.png'):
        write_image(osp.join(root, 'train', name))
    ds = ReIDFolderDataset(data_root=root, split='train', train_dir='train',
                           pattern=r'^(\d+)_')
    assert len(ds) == 3 and ds.metainfo['num_classes'] == 2
    assert {ds.get_data_info(i)['camid'] for i in range(3)} == {-1}


def test_bad_split_name(market_root):
    with pytest.raises(ValueError, match='split'):
        Market1501(data_root=market_root, split='val')


def test_cuhk03np_classic_random_split(tmp_path):
    """The MLR-CUHK03 protocol: all CUHK03-NP identities pooled, random train/test split,
    queries from one camera, one gallery image per identity from the other."""
    root = make_cuhk03np(str(tmp_path / 'cuhk03-np'))
    test = CUHK03NPRandomSplit(data_root=root, subset='detected', split='test', trials=0,
                               num_train_ids=3, query_camera=0)
    rows = [test.get_data_info(i) for i in range(len(test))]
    query = [r for r in rows if r['split'] == 'query']
    gallery = [r for r in rows if r['split'] == 'gallery']
    assert {r['camid'] for r in query} == {0} and {r['camid'] for r in gallery} == {1}
    query_ids = sorted({r['pid'] for r in query})
    assert sorted(r['pid'] for r in gallery) == query_ids and len(query_ids) == 2
    train = CUHK03NPRandomSplit(data_root=root, subset='detected', num_train_ids=3)
    assert train.metainfo['num_classes'] == 3
    assert not {train.get_data_info(i)['pid'] for i in range(len(train))} & set(query_ids)
    with pytest.raises(DatasetLayoutError, match='identities to split'):
        CUHK03NPRandomSplit(data_root=root)  # the classic 1,367 training ids
