"""Data pre-processor for paired (HR / LR) ReID inputs."""
from collections.abc import Mapping

from mmpretrain.models.utils import ClsDataPreprocessor

from mmdenoise.registry import MODELS


@MODELS.register_module()
class PairedReIDDataPreprocessor(ClsDataPreprocessor):
    """mmpretrain's ``ClsDataPreprocessor`` for single images and for image pairs.

    ``inputs`` is either a batch of images (test time; handled exactly as
    ``ClsDataPreprocessor``) or a mapping ``{name: batch}`` such as ``{'hr': ..., 'lr': ...}``
    packed by :class:`~mmdenoise.datasets.PackPairedReIDInputs`; every image of the mapping is
    converted (BGR -> RGB), normalised and stacked the same way, the labels once. The output
    ``inputs`` keeps the structure: a tensor, or ``{name: (B, C, H, W) tensor}``.

    Arguments: as ``ClsDataPreprocessor``; batch augmentations (mixup / cutmix) would mix the
    two images of a pair differently and are refused for pairs.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if not isinstance(inputs, Mapping):
            return super().forward(data, training)
        if not inputs:
            raise ValueError('PairedReIDDataPreprocessor: empty inputs mapping')
        if self.batch_augments is not None and training:
            raise ValueError('PairedReIDDataPreprocessor: batch_augments would treat the images '
                             'of a pair differently; remove them for paired inputs')
        outputs, samples = {}, data.get('data_samples', None)
        for i, (name, images) in enumerate(inputs.items()):
            result = super().forward(
                dict(inputs=images, data_samples=samples if i == 0 else None), training)
            outputs[name] = result['inputs']
            if i == 0:
                samples = result['data_samples']
        shapes = {name: tuple(x.shape) for name, x in outputs.items()}
        if len(set(shapes.values())) != 1:
            raise ValueError(f'PairedReIDDataPreprocessor: the paired batches differ in shape '
                             f'{shapes}')
        return dict(inputs=outputs, data_samples=samples)
