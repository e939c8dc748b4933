"""List-file parsers: MSMT17 (V1/V2), VehicleID, ReIDListDataset."""
import os.path as osp

import pytest

from mmdenoise.datasets import MSMT17, DatasetLayoutError, ReIDListDataset, VehicleID
from mmdenoise.datasets.list_dataset import parse_list_line
from reid_layouts import make_msmt17, make_vehicleid, write_image, write_lines


@pytest.mark.parametrize('version', ['V1', 'V2'])
def test_msmt17_versions_lists_and_cameras(tmp_path, version):
    root = make_msmt17(str(tmp_path / f'MSMT17_{version}'), version)
    train = MSMT17(data_root=str(tmp_path), split='train')  # parent folder is accepted
    assert len(train) == 4 and train.metainfo['num_classes'] == 3  # val merged
    infos = [train.get_data_info(i) for i in range(len(train))]
    assert [i['camid'] for i in infos] == [0, 2, 14, 3]
    folder = 'train' if version == 'V1' else 'mask_train_v2'
    assert all(f'{osp.sep}{folder}{osp.sep}' in i['img_path'] for i in infos)
    no_val = MSMT17(data_root=root, split='train', include_val=False)
    assert len(no_val) == 3 and no_val.metainfo['num_classes'] == 2
    test = MSMT17(data_root=root, split='test')
    assert test.metainfo['num_query'] == 2 and test.metainfo['num_gallery'] == 5


def test_msmt17_errors(tmp_path):
    with pytest.raises(DatasetLayoutError, match='mask_train_v2'):
        MSMT17(data_root=str(tmp_path), split='train')
    root = make_msmt17(str(tmp_path / 'm'), 'V1')
    write_lines(osp.join(root, 'list_query.txt'), ['0000/no_camera.jpg 0'])
    with pytest.raises(DatasetLayoutError, match='list_query.txt:1'):
        MSMT17(data_root=root, split='test')


def test_vehicleid_one_random_gallery_image_per_vehicle(tmp_path):
    root = make_vehicleid(str(tmp_path / 'VehicleID_V1.0'))
    train = VehicleID(data_root=str(tmp_path), split='train')
    assert len(train) == 8 and train.metainfo['num_classes'] == 4
    test = VehicleID(data_root=root, split='test', test_size='small', num_trials=3)
    infos = [test.get_data_info(i) for i in range(len(test))]
    assert test.metainfo['trials'] == (0, 1, 2)
    for trial in range(3):
        rows = [i for i in infos if i['trial'] == trial]
        gallery = [i['pid'] for i in rows if i['split'] == 'gallery']
        assert sorted(gallery) == list(range(100, 105))  # exactly one per vehicle
        assert sum(i['split'] == 'query' for i in rows) == 10
    picks = [
        tuple(i['img_path'] for i in infos if i['trial'] == t and i['split'] == 'gallery')
        for t in range(3)
    ]
    assert len(set(picks)) > 1  # redrawn per trial
    again = VehicleID(data_root=root, split='test', num_trials=3)
    assert [again.get_data_info(i)['split'] for i in range(len(again))] == \
        [i['split'] for i in infos]  # seeded
    assert all(i['camid'] == -1 for i in infos)
    with pytest.raises(ValueError, match='test_size'):
        VehicleID(data_root=root, test_size='huge')
    with pytest.raises(DatasetLayoutError, match='test_list_1600.txt'):
        VehicleID(data_root=root, split='test', test_size='medium')


def test_list_dataset_with_and_without_cameras(tmp_path):
    root = str(tmp_path)
    for name in ('a.jpg', 'b.jpg', 'my img.jpg', 'q.jpg', 'g.jpg'):
        write_image(osp.join(root, 'images', name))
    write_lines(osp.join(root, 'train.txt'), ['a.jpg 7 0', 'b.jpg 9', 'my img.jpg 7 1'])
    write_lines(osp.join(root, 'query.txt'), ['q.jpg 1 0'])
    write_lines(osp.join(root, 'gallery.txt'), ['g.jpg 1 1', 'a.jpg -1 1'])
    train = ReIDListDataset(data_root=root, ann_file='train.txt',
                            data_prefix=dict(img_path='images'))
    infos = [train.get_data_info(i) for i in range(len(train))]
    assert [(i['pid'], i['gt_label'], i['camid']) for i in infos] == [(7, 0, 0), (9, 1, -1),
                                                                       (7, 0, 1)]
    assert infos[2]['img_path'] == osp.join(root, 'images', 'my img.jpg')
    test = ReIDListDataset(data_root=root, split='test', query_file='query.txt',
                           gallery_file='gallery.txt', data_prefix=dict(img_path='images'))
    assert len(test) == 2  # junk -1 dropped
    with pytest.raises(ValueError, match='query_file'):
        ReIDListDataset(data_root=root, split='test', gallery_file='gallery.txt')


def test_list_line_parser_and_error(tmp_path):
    assert parse_list_line('x/y.jpg 3 2') == ('x/y.jpg', 3, 2)
    assert parse_list_line('x/y 1.jpg 3') == ('x/y 1.jpg', 3, -1)
    write_lines(str(tmp_path / 'train.txt'), ['a.jpg seven'])
    with pytest.raises(DatasetLayoutError, match='train.txt:1'):
        ReIDListDataset(data_root=str(tmp_path), ann_file='train.txt')
