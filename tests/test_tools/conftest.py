"""Fixtures of the tool tests: a tiny ImageNet-style dataset and the trained checkpoints several
tests use (trained once per session with the real tools/train.py)."""
import os.path as osp
import uuid

import numpy as np
import pytest
import torch
from tool_test_utils import (LABEL_AUG_CFG, LABEL_FREE_CFG, NUM_CLASSES, PER_CLASS, SIZE,
                             data_options, train)


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory):
    """``train/<class>/<i>.png``: 3 classes x 4 images of 32 x 32, told apart by brightness."""
    import cv2
    root = tmp_path_factory.mktemp('tiny_data')
    rng = np.random.default_rng(0)
    for c in range(NUM_CLASSES):
        folder = root / 'train' / f'class{c}'
        folder.mkdir(parents=True)
        for i in range(PER_CLASS):
            img = (rng.random((SIZE, SIZE, 3)) * 80 + c * 80).astype(np.uint8)
            assert cv2.imwrite(str(folder / f'c{c}_{i}.png'), img)
    return root


@pytest.fixture(scope='session')
def label_free_run(tiny_data, tmp_path_factory):
    """tools/train.py on the label-free config, 1 epoch: its work folder."""
    work_dir = tmp_path_factory.mktemp('label_free')
    train(LABEL_FREE_CFG, work_dir, tiny_data)
    assert osp.isfile(work_dir / 'epoch_1.pth')
    return work_dir


@pytest.fixture(scope='session')
def label_aug_run(tiny_data, tmp_path_factory):
    """The label-augmented config, 2 epochs, a checkpoint each epoch: its work folder. Trained
    with tools/train.py's logic (``run_train``) in this process, to keep the suite fast."""
    from mmdenoise.apis import run_train
    work_dir = tmp_path_factory.mktemp('label_aug')
    deterministic = torch.are_deterministic_algorithms_enabled()
    try:
        run_train([str(LABEL_AUG_CFG), '--work-dir', str(work_dir), '--cfg-options',
                   *data_options(tiny_data), 'train_cfg.max_epochs=2',
                   f'experiment_name=tools_label_aug_{uuid.uuid4().hex[:8]}'])
    finally:
        torch.use_deterministic_algorithms(deterministic)
    assert osp.isfile(work_dir / 'epoch_1.pth') and osp.isfile(work_dir / 'epoch_2.pth')
    return work_dir


@pytest.fixture
def in_process():
    """For running the tools' Runner inside the test process: ``in_process(tag)`` gives the
    --cfg-options values of a unique experiment name (MMEngine's logger / visualizer / message hub
    instances are keyed on it); torch's global deterministic flag is restored afterwards."""
    deterministic = torch.are_deterministic_algorithms_enabled()
    yield lambda tag: [f'experiment_name=tools_{tag}_{uuid.uuid4().hex[:8]}']
    torch.use_deterministic_algorithms(deterministic)
