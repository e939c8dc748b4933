"""The data-sample contract end to end: dataset -> PackReIDInputs -> model output ->
mmengine Evaluator -> ReIDMetric."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope

from mmdenoise.datasets import Market1501


def write_market(root):
    rng = np.random.default_rng(0)
    files = {
        'bounding_box_train': ['0002_c1s1_000001_00.jpg'],
        'query': ['0001_c1s1_000001_00.jpg', '0003_c2s1_000001_00.jpg'],
        'bounding_box_test': [
            '0001_c1s1_000002_00.jpg',  # same camera as the query: ignored
            '0001_c2s1_000003_00.jpg', '0003_c1s1_000004_00.jpg', '0000_c3s1_000005_00.jpg',
            '-1_c1s1_000006_00.jpg'
        ],
    }
    for folder, names in files.items():
        os.makedirs(osp.join(root, folder))
        for name in names:
            cv2.imwrite(osp.join(root, folder, name), rng.integers(0, 255, (8, 4, 3),
                                                                   dtype=np.uint8))


def fake_model(data_samples):
    """Stands in for the ReID model: writes ``pred_feature`` into each data sample (one-hot
    identity, so every query's true match is its nearest valid neighbour)."""
    for sample in data_samples:
        feature = torch.zeros(8)
        feature[sample.pid % 8] = 1.0
        sample.set_field(feature, 'pred_feature')
    return data_samples


@pytest.mark.parametrize('protocol_metric', [
    dict(type='ReIDMetric'),
    dict(type='ReIDMetric', distance='euclidean', rerank=dict(k1=2, k2=1)),
])
def test_evaluator_reads_packed_samples(tmp_path, protocol_metric):
    root = str(tmp_path / 'market')
    write_market(root)
    pipeline = [dict(type='LoadImageFromFile'), dict(type='PackReIDInputs')]
    with DefaultScope.overwrite_default_scope('mmdenoise'):
        dataset = Market1501(data_root=root, split='test', pipeline=pipeline,
                             serialize_data=False)
        evaluator = Evaluator(metrics=protocol_metric)
        for i in range(len(dataset)):
            item = dataset[i]
            evaluator.process(fake_model([item['data_samples']]),
                              dict(inputs=[item['inputs']]))
        metrics = evaluator.evaluate(len(dataset))
    assert len(dataset) == 6  # junk dropped
    assert metrics['reid/mAP'] == pytest.approx(100.0)
    assert metrics['reid/R1'] == pytest.approx(100.0)
    assert metrics['reid/mINP'] == pytest.approx(100.0)
