"""``combine_all``: training on the training and the test identities of a dataset (the "Com-"
setting of the domain-generalisation protocols)."""
import os.path as osp

import pytest

from mmdenoise.datasets import (CUHK03NP, MSMT17, VIPeR, CUHKSYSU, Market1501,
                                ReIDConcatDataset, ReIDListDataset)
from reid_layouts import make_cuhk03np, make_market, make_msmt17, make_viper, write_image, \
    write_lines


def _infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def test_market_combined_adds_test_identities_without_distractors_or_junk(tmp_path):
    root = make_market(str(tmp_path / 'market'))
    plain = Market1501(data_root=root, split='train')
    combined = Market1501(data_root=root, split='train', combine_all=True)
    # 7 training images + 2 queries + 4 gallery images of pids 1 and 3 (3 distractors and 2
    # junk boxes of the gallery left out)
    assert len(combined) == 13 and combined.metainfo['num_images'] == 13
    assert combined.metainfo['num_classes'] == 5
    assert combined.metainfo['classes'] == ('2', '7', '10', 'test/1', 'test/3')
    infos = _infos(combined)
    assert all(i['split'] == 'train' for i in infos)
    assert all(i['pid'] not in (0, -1) for i in infos)
    assert [i['source_split'] for i in infos].count('query') == 2
    assert [i['source_split'] for i in infos].count('gallery') == 4
    # training labels are those of the plain training set
    by_path = {i['img_path']: i['gt_label'] for i in infos}
    assert all(by_path[i['img_path']] == i['gt_label'] for i in _infos(plain))
    # a test identity has one label across its query and gallery images
    labels_of_1 = {i['gt_label'] for i in infos if i['pid'] == 1}
    assert labels_of_1 == {3}
    assert len({i['img_path'] for i in infos}) == len(infos)


def test_msmt17_test_identities_stay_apart_from_training_ones_with_the_same_number(tmp_path):
    root = make_msmt17(str(tmp_path / 'MSMT17_V1'))
    combined = MSMT17(data_root=root, split='train', combine_all=True)
    assert len(combined) == 4 + 2 + 5
    assert combined.metainfo['num_classes'] == 3 + 2
    infos = _infos(combined)
    train_pid0 = {i['gt_label'] for i in infos if i['pid'] == 0 and i['source_split'] == 'train'}
    test_pid0 = {i['gt_label'] for i in infos if i['pid'] == 0 and i['source_split'] != 'train'}
    assert train_pid0 == {0} and test_pid0 == {3}
    assert sorted({i['gt_label'] for i in infos}) == [0, 1, 2, 3, 4]


def test_cuhk03np_combined_counts(tmp_path):
    root = make_cuhk03np(str(tmp_path / 'cuhk03-np'))
    combined = CUHK03NP(data_root=root, subset='detected', split='train', combine_all=True)
    assert len(combined) == 6 + 2 + 4
    assert combined.metainfo['num_classes'] == 5


def test_list_dataset_counts_an_image_listed_twice_once(tmp_path):
    root = str(tmp_path)
    for name in ('a.jpg', 'b.jpg', 'q.jpg', 'g1.jpg', 'g2.jpg'):
        write_image(osp.join(root, 'images', name))
    write_lines(osp.join(root, 'train.txt'), ['a.jpg 7 0', 'b.jpg 7 1'])
    write_lines(osp.join(root, 'query.txt'), ['q.jpg 7 0'])
    write_lines(osp.join(root, 'gallery.txt'), ['g1.jpg 7 1', 'g2.jpg 7 1', 'q.jpg 7 0'])
    combined = ReIDListDataset(data_root=root, split='train', ann_file='train.txt',
                               query_file='query.txt', gallery_file='gallery.txt',
                               data_prefix=dict(img_path='images'), combine_all=True)
    infos = _infos(combined)
    assert len(infos) == 5  # q.jpg once
    # pid 7 names a training and a test identity: two classes
    assert combined.metainfo['num_classes'] == 2
    assert {i['gt_label'] for i in infos if i['source_split'] == 'train'} == {0}
    assert {i['gt_label'] for i in infos if i['source_split'] != 'train'} == {1}


def test_concatenated_combined_sources_offset_labels(tmp_path):
    market = make_market(str(tmp_path / 'market'))
    msmt = make_msmt17(str(tmp_path / 'MSMT17_V1'))
    ds = ReIDConcatDataset(datasets=[
        dict(type='mmdenoise.Market1501', data_root=market, split='train', combine_all=True),
        dict(type='mmdenoise.MSMT17', data_root=msmt, split='train', combine_all=True),
    ])
    assert ds.metainfo['num_classes'] == 5 + 5 and len(ds) == 13 + 11
    labels = sorted({i['gt_label'] for i in _infos(ds)})
    assert labels == list(range(10))


def test_combine_all_refused_where_it_has_no_meaning(tmp_path):
    root = make_market(str(tmp_path / 'market'))
    with pytest.raises(ValueError, match="combine_all builds a training set.*'test'"):
        Market1501(data_root=root, split='test', combine_all=True)
    viper = make_viper(str(tmp_path / 'viper'))
    with pytest.raises(ValueError, match='VIPeR: combine_all needs a fixed train / test split'):
        VIPeR(data_root=viper, split='train', combine_all=True)
    with pytest.raises(ValueError, match='CUHKSYSU'):
        CUHKSYSU(data_root=str(tmp_path), split='train', combine_all=True)
