"""LR/HR training pairs: the transform, the packing and the paired data pre-processor."""
import copy

import cv2
import numpy as np
import pytest
import torch

from mmdenoise.datasets import PackPairedReIDInputs, RandomLowResolutionCopy
from mmdenoise.models.dgrl import PairedReIDDataPreprocessor
from mmdenoise.registry import TRANSFORMS

MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]


def _image(h=64, w=32, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_lr_copy_sizes_inter_area_and_ratio_set():
    img = _image()
    transform = TRANSFORMS.build(dict(type='mmdenoise.RandomLowResolutionCopy'))
    seen = set()
    for seed in range(40):
        np.random.seed(seed)
        results = transform(dict(img=img.copy()))
        ratio = results['lr_ratio']
        seen.add(ratio)
        h, w = round(64 / ratio), round(32 / ratio)
        assert results['lr_shape'] == (h, w)
        small = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
        expected = cv2.resize(small, (32, 64), interpolation=cv2.INTER_CUBIC)
        assert results['img_lr'].shape == img.shape and results['img_lr'].dtype == np.uint8
        np.testing.assert_array_equal(results['img_lr'], expected)
        np.testing.assert_array_equal(results['img'], img)  # the HR image is untouched
    assert seen == {2, 3, 4}
    # the test can tell INTER_AREA from the INTER_LINEAR default (they agree at r = 2 only)
    for ratio in (3, 4):
        size = (round(32 / ratio), round(64 / ratio))
        linear = cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)
        assert not np.array_equal(linear, cv2.resize(img, size, interpolation=cv2.INTER_AREA))


def test_lr_copy_without_restoring_the_size():
    np.random.seed(0)
    results = RandomLowResolutionCopy(ratios=(4, ), restore_size=False)(dict(img=_image()))
    assert results['img_lr'].shape == (16, 8, 3) and results['lr_ratio'] == 4


def test_lr_copy_checks_arguments():
    with pytest.raises(ValueError, match='positive integers'):
        RandomLowResolutionCopy(ratios=(0, 2))
    with pytest.raises(ValueError, match='restore_interpolation'):
        RandomLowResolutionCopy(restore_interpolation='cubic')
    with pytest.raises(KeyError, match='load the image'):
        RandomLowResolutionCopy()(dict())


def test_pack_pairs():
    np.random.seed(1)
    record = dict(img=_image(), gt_label=2, pid=7, camid=1, split='train', img_path='a.jpg')
    results = RandomLowResolutionCopy()(record)
    packed = PackPairedReIDInputs()(results)
    assert set(packed['inputs']) == {'hr', 'lr'}
    torch.testing.assert_close(packed['inputs']['hr'],
                               torch.from_numpy(results['img'].transpose(2, 0, 1).copy()))
    torch.testing.assert_close(packed['inputs']['lr'],
                               torch.from_numpy(results['img_lr'].transpose(2, 0, 1).copy()))
    sample = packed['data_samples']
    assert int(sample.gt_label) == 2 and sample.pid == 7 and sample.camid == 1
    assert sample.lr_ratio == results['lr_ratio']
    with pytest.raises(KeyError, match='RandomLowResolutionCopy'):
        PackPairedReIDInputs()(dict(img=_image()))


def test_paired_preprocessor_treats_both_images_like_single_ones():
    from mmpretrain.structures import DataSample
    pre = PairedReIDDataPreprocessor(mean=MEAN, std=STD, to_rgb=True)
    g = torch.Generator().manual_seed(0)
    hr = [torch.randint(0, 256, (3, 8, 4), generator=g, dtype=torch.uint8) for _ in range(2)]
    lr = [torch.randint(0, 256, (3, 8, 4), generator=g, dtype=torch.uint8) for _ in range(2)]
    samples = [DataSample().set_gt_label(i) for i in range(2)]
    out = pre(dict(inputs=dict(hr=hr, lr=lr), data_samples=copy.deepcopy(samples)), True)
    assert set(out['inputs']) == {'hr', 'lr'}
    for name, images in (('hr', hr), ('lr', lr)):
        single = pre(dict(inputs=images, data_samples=copy.deepcopy(samples)), False)['inputs']
        torch.testing.assert_close(out['inputs'][name], single)
        rgb = (images[1].flip(0).float() - torch.tensor(MEAN).view(3, 1, 1)) / torch.tensor(
            STD).view(3, 1, 1)
        torch.testing.assert_close(out['inputs'][name][1], rgb)
    assert [int(s.gt_label) for s in out['data_samples']] == [0, 1]
    bad = [torch.zeros(3, 8, 6, dtype=torch.uint8)] * 2
    with pytest.raises(ValueError, match='differ in shape'):
        pre(dict(inputs=dict(hr=hr, lr=bad), data_samples=None), True)
