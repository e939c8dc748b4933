"""The MLR-* cross-resolution builder."""
import filecmp
import json
import os
import os.path as osp
import runpy
import sys

import cv2
import numpy as np
import pytest

from mmdenoise.datasets import Market1501, VIPeR, build_mlr_dataset
from mmdenoise.datasets.mlr import downsample, read_mlr_manifest
from reid_layouts import make_market, make_viper

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def market_root(tmp_path_factory):
    return make_market(str(tmp_path_factory.mktemp('src') / 'market'), size=(48, 24),
                       ext='.png')


def test_downsample_uses_area_interpolation():
    img = np.random.default_rng(0).integers(0, 256, (48, 24, 3), dtype=np.uint8)
    small = downsample(img, 3)
    assert small.shape == (16, 8, 3)
    np.testing.assert_array_equal(small, cv2.resize(img, (8, 16), interpolation=cv2.INTER_AREA))
    # area and linear interpolation really differ on this image
    assert (small != cv2.resize(img, (8, 16), interpolation=cv2.INTER_LINEAR)).any()
    assert downsample(img[:5, :5], 4).shape == (1, 1, 3)  # rounded, at least one pixel


def test_market_camera_one_downsampled(tmp_path, market_root):
    dst = str(tmp_path / 'mlr_market')
    counts = build_mlr_dataset(market_root, dst, 'market1501', low_res_cameras=[1], seed=3)
    manifest = read_mlr_manifest(dst)
    assert counts['downsampled'] == len(manifest) > 0
    for folder in ('bounding_box_train', 'query', 'bounding_box_test'):
        for name in os.listdir(osp.join(market_root, folder)):
            src, out = osp.join(market_root, folder, name), osp.join(dst, folder, name)
            rel = f'{folder}/{name}'
            if '_c1s' in name:
                ratio = manifest[rel]
                assert ratio in (2, 3, 4)
                h, w = cv2.imread(out, cv2.IMREAD_UNCHANGED).shape[:2]
                assert (h, w) == (round(48 / ratio), round(24 / ratio))
                original = cv2.imread(src, cv2.IMREAD_UNCHANGED)
                np.testing.assert_array_equal(  # png: lossless, so exactly INTER_AREA
                    cv2.imread(out, cv2.IMREAD_UNCHANGED), downsample(original, ratio))
            else:
                assert rel not in manifest and filecmp.cmp(src, out, shallow=False)
    config = json.load(open(osp.join(dst, 'mlr_config.json')))
    assert config['interpolation'] == 'cv2.INTER_AREA'
    # the result is a Market-1501 folder the usual parser reads
    assert len(Market1501(data_root=dst, split='test')) == 9
    # seeded
    again = str(tmp_path / 'again')
    build_mlr_dataset(market_root, again, 'market1501', low_res_cameras=[1], seed=3)
    assert read_mlr_manifest(again) == manifest


def test_query_only_and_overwrite(tmp_path, market_root):
    dst = str(tmp_path / 'q')
    build_mlr_dataset(market_root, dst, 'market1501', low_res_cameras=[1, 2],
                      folders=['query'], ratios=[2])
    assert set(read_mlr_manifest(dst)) == {f'query/{n}' for n in
                                           os.listdir(osp.join(market_root, 'query'))}
    with pytest.raises(FileExistsError):
        build_mlr_dataset(market_root, dst, 'market1501')
    build_mlr_dataset(market_root, dst, 'market1501', ratios=[4], overwrite=True)
    assert set(read_mlr_manifest(dst).values()) == {4}


def test_viper_and_errors(tmp_path):
    src = make_viper(str(tmp_path / 'VIPeR'), num_ids=4)
    dst = str(tmp_path / 'MLR-VIPeR')
    build_mlr_dataset(src, dst, 'viper', low_res_cameras=[2])
    assert sorted(read_mlr_manifest(dst)) == sorted(f'cam_b/{n}' for n in
                                                    os.listdir(osp.join(src, 'cam_b')))
    assert len(VIPeR(data_root=dst, split='test', num_train_ids=2, trials=0)) == 4
    with pytest.raises(FileNotFoundError, match='market1501'):
        build_mlr_dataset(str(tmp_path), str(tmp_path / 'x'), 'market1501')
    with pytest.raises(ValueError, match='source'):
        build_mlr_dataset(src, str(tmp_path / 'y'), 'duke')


def test_command_line_tool(tmp_path, market_root, monkeypatch, capsys):
    dst = str(tmp_path / 'cli')
    script = osp.join(REPO, 'tools', 'dataset_converters', 'build_mlr_dataset.py')
    monkeypatch.setattr(sys, 'argv', [
        script, market_root, dst, '--source', 'market1501', '--lr-cameras', '2', '--seed', '1'
    ])
    runpy.run_path(script, run_name='__main__')
    assert 'downsampled' in capsys.readouterr().out
    assert all('_c2s' in p for p in read_mlr_manifest(dst))
