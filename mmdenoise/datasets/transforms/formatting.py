"""Packing of ReID samples into ``inputs`` + ``data_samples``."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmdenoise.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackReIDInputs(BaseTransform):
    """Pack an image and its ReID labels for an mmpretrain-style model.

    Output: ``dict(inputs=<CHW uint8/float tensor>, data_samples=<mmpretrain DataSample>)``.
    The data sample has ``gt_label`` (``set_gt_label``) and the metainfo fields listed in
    ``meta_keys`` that the record has (``set_field(..., field_type='metainfo')``): by default
    ``pid``, ``camid``, ``split``, ``img_path``, ``modality``, ``trial``, ``source`` and the
    image shapes, which is what :class:`~mmdenoise.evaluation.ReIDMetric` reads back next to
    the model's ``pred_feature``.

    Works after mmcv / mmpretrain transforms, e.g.
    ``LoadImageFromFile -> Resize(scale=(128, 256)) -> RandomFlip -> PackReIDInputs``.

    Args:
        meta_keys (Sequence[str]): Record keys copied into the data sample when present.
    """

    DEFAULT_META_KEYS = ('pid', 'camid', 'split', 'img_path', 'modality', 'trial', 'source',
                         'sample_idx', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
                         'flip_direction')

    def __init__(self, meta_keys: Sequence[str] = DEFAULT_META_KEYS):
        self.meta_keys = tuple(meta_keys)

    @staticmethod
    def format_image(img) -> torch.Tensor:
        """HWC (or HW) array -> contiguous CHW tensor; tensors pass through."""
        if isinstance(img, torch.Tensor):
            return img
        img = np.asarray(img)
        if img.ndim == 2:
            img = img[..., None]
        if img.ndim != 3:
            raise ValueError(f'PackReIDInputs: expected an HWC image, got shape {img.shape}')
        return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))

    def transform(self, results: dict) -> dict:
        # imported here: mmpretrain's package import is slow and only needed when packing
        from mmpretrain.structures import DataSample

        if 'img' not in results:
            raise KeyError('PackReIDInputs: no "img" in the results; load the image first '
                           '(e.g. LoadImageFromFile)')
        data_sample = DataSample()
        if 'gt_label' in results:
            data_sample.set_gt_label(int(results['gt_label']))
        for key in self.meta_keys:
            if key in results:
                data_sample.set_field(results[key], key, field_type='metainfo')
        return dict(inputs=self.format_image(results['img']), data_samples=data_sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
