"""Rank-list drawing, the ReIDVisualizer and the metric's rank-list output."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmdenoise.evaluation import ReIDMetric
from mmdenoise.registry import VISUALIZERS
from mmdenoise.visualization import (ReIDVisualizer, draw_rank_list, enable_rank_lists,
                                     save_rank_list)
from mmdenoise.visualization.rank_list import MATCH_COLOR, MISMATCH_COLOR

SIZE, BORDER, GAP, CAPTION = (16, 32), 3, 5, 10


def cell_border_color(canvas, index):
    """Colour of the top-left border pixel of cell ``index`` (0 = query)."""
    cell_width = SIZE[0] + 2 * BORDER
    x = index * cell_width + (GAP if index else 0)
    return tuple(int(c) for c in canvas[1, x + 1])


def gray(value):
    return np.full((8, 4, 3), value, np.uint8)


def test_draw_rank_list_geometry_and_borders():
    canvas = draw_rank_list(gray(10), [gray(50), gray(90), gray(130)], [True, False, True],
                            distances=[0.1, 0.2, 0.3], size=SIZE, border=BORDER, gap=GAP,
                            caption_height=CAPTION)
    cell_width = SIZE[0] + 2 * BORDER
    assert canvas.shape == (SIZE[1] + 2 * BORDER + CAPTION, 4 * cell_width + GAP, 3)
    assert cell_border_color(canvas, 1) == MATCH_COLOR
    assert cell_border_color(canvas, 2) == MISMATCH_COLOR
    assert cell_border_color(canvas, 3) == MATCH_COLOR
    # the image itself sits inside the border
    inside = canvas[BORDER + 2, cell_width + GAP + BORDER + 2]
    assert tuple(inside) == (50, 50, 50)
    with pytest.raises(ValueError, match='match flags'):
        draw_rank_list(gray(0), [gray(1)], [True, False])


def test_save_rank_list_from_paths(tmp_path):
    paths = []
    for i in range(3):
        paths.append(str(tmp_path / f'{i}.jpg'))
        cv2.imwrite(paths[-1], gray(40 * i + 20))
    out = str(tmp_path / 'out' / 'rank.png')
    canvas = save_rank_list(paths[0], paths[1:], [False, True], out, size=SIZE, border=BORDER,
                            gap=GAP, caption_height=0)
    assert osp.isfile(out)
    np.testing.assert_array_equal(cv2.imread(out), canvas)
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        draw_rank_list(str(tmp_path / 'missing.jpg'), [], [])


def test_visualizer_registered_and_writes(tmp_path):
    vis = VISUALIZERS.build(dict(type='ReIDVisualizer', name='rank_list_test'))
    assert isinstance(vis, ReIDVisualizer)
    out = str(tmp_path / 'v.jpg')
    rgb = vis.add_rank_list('q0', gray(10), [gray(60)], [False], out_file=out, size=SIZE,
                            border=BORDER, gap=GAP, caption_height=0)
    assert osp.isfile(out)
    # returned array is RGB: the red border of a false match reads (230, 0, 0)
    assert tuple(rgb[1, SIZE[0] + 2 * BORDER + GAP + 1]) == MISMATCH_COLOR[::-1]
    assert vis.get_image().shape == rgb.shape


def test_metric_writes_rank_lists(tmp_path):
    """Query 0 (pid 1) is closest to a gallery image of pid 1 in another camera; the rank
    list must show it first with a green border and skip the same-camera duplicate."""
    images = tmp_path / 'images'
    images.mkdir()
    feats = {
        ('query', 1, 0): [1., 0.],
        ('query', 2, 0): [0., 1.],
        ('gallery', 1, 0): [1., 0.],  # same identity, same camera: ignored
        ('gallery', 1, 1): [.9, .1],
        ('gallery', 2, 1): [.1, .9],
        ('gallery', 3, 1): [.7, .7],
    }
    metric = ReIDMetric(rank_list_dir=str(tmp_path / 'ranks'), num_rank_lists=2,
                        rank_list_topk=3)
    samples = []
    for n, ((split, pid, cam), f) in enumerate(feats.items()):
        path = str(images / f'{n}.jpg')
        cv2.imwrite(path, gray(30 * n))
        samples.append(dict(pred_feature=torch.tensor(f), pid=pid, camid=cam, split=split,
                            img_path=path))
    metric.process({}, samples)
    metric.evaluate(len(samples))
    files = sorted(os.listdir(tmp_path / 'ranks'))
    assert files == ['00000_0.jpg', '00001_1.jpg']
    canvas = cv2.imread(str(tmp_path / 'ranks' / files[0]))
    cell = 64 + 2 * 4
    assert canvas.shape[1] == 4 * cell + 12  # query + 3 gallery images (duplicate skipped)
    first = canvas[2, cell + 12 + 2].astype(int)
    second = canvas[2, 2 * cell + 12 + 2].astype(int)
    assert first[1] > 150 and first[2] < 80  # green (jpeg tolerant)
    assert second[2] > 150 and second[1] < 80  # red


def test_enable_rank_lists_in_config():
    cfg = Config(dict(test_evaluator=[dict(type='mmdenoise.ReIDMetric'), dict(type='Other')]))
    assert enable_rank_lists(cfg, 'work_dirs/show', num_rank_lists=5) == 1
    assert cfg.test_evaluator[0]['rank_list_dir'] == 'work_dirs/show'
    assert 'rank_list_dir' not in cfg.test_evaluator[1]
    single = Config(dict(test_evaluator=dict(type='ReIDMetric')))
    assert enable_rank_lists(single, 'x') == 1 and single.test_evaluator.rank_list_dir == 'x'
