"""CUHK-SYSU crops as a DG training source (mmdenoise.datasets.CUHKSYSU)."""
import os.path as osp

import pytest

from mmdenoise.datasets import CUHKSYSU, DatasetLayoutError, ReIDConcatDataset
from reid_layouts import make_market, write_image

CROPS = ['p00012_s1.jpg', 'p00012_s7.png', 'p03_s2.jpg', 'p5532_s15_2.jpg', 'p03_s9.jpg']


def _make(root):
    for name in CROPS:
        write_image(osp.join(root, 'CUHK-SYSU', 'cropped_images', name))
    return root


def test_parses_identities_relabels_and_has_no_cameras(tmp_path):
    root = _make(str(tmp_path))  # data_root may be the folder holding CUHK-SYSU/
    ds = CUHKSYSU(data_root=root)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert len(infos) == len(CROPS)
    assert sorted({r['pid'] for r in infos}) == [3, 12, 5532]
    by_name = {osp.basename(r['img_path']): r for r in infos}
    assert by_name['p03_s2.jpg']['gt_label'] == 0 and by_name['p00012_s7.png']['gt_label'] == 1
    assert by_name['p5532_s15_2.jpg']['gt_label'] == 2
    assert all(r['camid'] == -1 and r['split'] == 'train' for r in infos)
    assert ds.metainfo['num_classes'] == 3
    assert len(CUHKSYSU(data_root=osp.join(root, 'CUHK-SYSU'))) == len(CROPS)


def test_concatenates_with_other_sources(tmp_path):
    root = _make(str(tmp_path / 'cs'))
    market = make_market(str(tmp_path / 'market'))
    concat = ReIDConcatDataset(datasets=[
        dict(type='Market1501', data_root=market, split='train'),
        dict(type='CUHKSYSU', data_root=root)])
    assert concat.metainfo['num_classes'] == 3 + 3
    sysu = [concat.get_data_info(i) for i in range(len(concat))
            if concat.get_data_info(i)['source_name'] == 'CUHKSYSU']
    assert sorted({r['gt_label'] for r in sysu}) == [3, 4, 5]
    assert all(r['camid'] == -1 for r in sysu)


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="only split='train'"):
        CUHKSYSU(data_root=str(tmp_path), split='test')
    with pytest.raises(DatasetLayoutError, match='cropped_images'):
        CUHKSYSU(data_root=str(tmp_path))
    write_image(osp.join(str(tmp_path), 'cropped_images', 'person_1.jpg'))
    with pytest.raises(DatasetLayoutError, match=r'not named p<pid>_s<scene>'):
        CUHKSYSU(data_root=str(tmp_path))
