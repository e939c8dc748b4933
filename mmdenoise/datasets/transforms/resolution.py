"""Low-/high-resolution pairs for cross-resolution ReID training (DGRL, paper 003 Sec. III-A and
IV-C): every HR training image gets an LR copy down-sampled by a factor ``r`` drawn from
{2, 3, 4} with "resampling using pixel area relation" (``cv2.INTER_AREA``, the MLR-* protocol's
down-sampling, :func:`mmdenoise.datasets.mlr.downsample`), then reshaped back to the input size
as every image the model sees (Sec. IV-C: "all the HR and LR images are reshaped to
256x128"), so HR and LR share the augmentation and stack into one batch each.
"""
from typing import Optional, Sequence

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmdenoise.registry import TRANSFORMS
from ..mlr import downsample
from .formatting import PackReIDInputs

RESTORE_INTERPOLATIONS = ('nearest', 'bilinear', 'bicubic', 'area', 'lanczos')


@TRANSFORMS.register_module()
class RandomLowResolutionCopy(BaseTransform):
    """Add an LR copy of ``img``: down-sampled by a random ``r`` (``cv2.INTER_AREA``), then
    resized back to the size of ``img``.

    Put it after the geometric augmentations (resize, flip, crop), so the two images of a pair
    show the same crop; what follows it only changes ``img`` unless it handles ``lr_key`` too.

    Added keys: ``lr_key`` (default ``img_lr``, same shape as ``img``), ``lr_ratio`` (``r``) and
    ``lr_shape`` (the ``(h, w)`` of the down-sampled image).

    Args:
        ratios: the factors ``r`` is drawn from, uniformly (DGRL: ``(2, 3, 4)``).
        restore_size: resize the LR image back to the size of ``img`` (the paper); False
            keeps it small (then it cannot be batched with the HR images).
        restore_interpolation: interpolation of that resize; use the one of the test
            pipeline's ``Resize`` so training LR images look like the test queries.
        lr_key: where the LR image goes.
    """

    def __init__(self,
                 ratios: Sequence[int] = (2, 3, 4),
                 restore_size: bool = True,
                 restore_interpolation: str = 'bicubic',
                 lr_key: str = 'img_lr'):
        ratios = tuple(int(r) for r in ratios)
        if not ratios or min(ratios) < 1:
            raise ValueError(f'RandomLowResolutionCopy: ratios must be positive integers, got '
                             f'{ratios}')
        if restore_interpolation not in RESTORE_INTERPOLATIONS:
            raise ValueError(f'RandomLowResolutionCopy: restore_interpolation must be one of '
                             f'{RESTORE_INTERPOLATIONS}, got {restore_interpolation!r}')
        self.ratios = ratios
        self.restore_size = restore_size
        self.restore_interpolation = restore_interpolation
        self.lr_key = lr_key

    @cache_randomness
    def _random_ratio(self) -> int:
        return self.ratios[np.random.randint(len(self.ratios))]

    def transform(self, results: dict) -> dict:
        if 'img' not in results:
            raise KeyError('RandomLowResolutionCopy: no "img" in the results; load the image '
                           'first (e.g. LoadImageFromFile)')
        img = results['img']
        ratio = self._random_ratio()
        low = downsample(img, ratio)
        results['lr_ratio'] = ratio
        results['lr_shape'] = tuple(low.shape[:2])
        if self.restore_size:
            height, width = img.shape[:2]
            low = mmcv.imresize(low, (width, height), interpolation=self.restore_interpolation)
            if low.ndim < img.ndim:  # cv2 drops a single channel axis
                low = low[..., None]
        results[self.lr_key] = low
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(ratios={self.ratios}, restore_size={self.restore_size}, '
                f'restore_interpolation={self.restore_interpolation!r}, lr_key={self.lr_key!r})')


@TRANSFORMS.register_module()
class PackPairedReIDInputs(PackReIDInputs):
    """:class:`PackReIDInputs` for image pairs: ``inputs`` becomes ``{name: CHW tensor}``, by
    default ``{'hr': img, 'lr': img_lr}`` (what ``mmdenoise.PairedReIDDataPreprocessor`` and
    ``mmdenoise.DGRL`` take); the data sample is the one of :class:`PackReIDInputs` with
    ``lr_ratio`` / ``lr_shape`` added to the meta keys.

    Args:
        input_keys: ``{input name: results key}`` of the packed images.
        meta_keys: record keys copied into the data sample when present.
    """

    DEFAULT_META_KEYS = PackReIDInputs.DEFAULT_META_KEYS + ('lr_ratio', 'lr_shape')

    def __init__(self, input_keys: Optional[dict] = None,
                 meta_keys: Sequence[str] = DEFAULT_META_KEYS):
        super().__init__(meta_keys=meta_keys)
        self.input_keys = dict(input_keys or dict(hr='img', lr='img_lr'))
        if not self.input_keys:
            raise ValueError('PackPairedReIDInputs: input_keys is empty')

    def transform(self, results: dict) -> dict:
        missing = [key for key in self.input_keys.values() if key not in results]
        if missing:
            raise KeyError(f'PackPairedReIDInputs: {missing} not in the results; add '
                           'mmdenoise.RandomLowResolutionCopy before packing')
        packed = super().transform(results)
        packed['inputs'] = {
            name: self.format_image(results[key]) for name, key in self.input_keys.items()
        }
        return packed

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(input_keys={self.input_keys}, '
                f'meta_keys={self.meta_keys})')
