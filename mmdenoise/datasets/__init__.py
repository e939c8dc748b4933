"""Datasets: ReID layouts, the identity samplers, transforms.

Importing this package registers everything in ``mmdenoise.registry`` (``DATASETS``,
``DATA_SAMPLERS``, ``TRANSFORMS``); the registries import it lazily.
"""
from .base_reid_dataset import BaseReIDDataset, DatasetLayoutError
from .caviar import CAVIAR
from .concat import ReIDConcatDataset
from .cuhk02 import CUHK02
from .cuhk_sysu import CUHKSYSU
from .fashion_mnist import DatasetFileError, build_checked_fashion_mnist
from .grid import GRID
from .ilids import ILIDS
from .list_dataset import ReIDListDataset
from .market_style import (CUHK03NP, CUHK03NPRandomSplit, DukeMTMCReID, Market1501,
                           ReIDFolderDataset)
from .mlr import build_mlr_dataset
from .msmt17 import MSMT17
from .prid2011 import PRID2011
from .random_split_dataset import RandomSplitReIDDataset
from .regdb import RegDB
from .samplers import CrossModalityIdentitySampler, IdentitySampler
from .sysu_mm01 import SYSUMM01
from .transforms import PackPairedReIDInputs, PackReIDInputs, RandomLowResolutionCopy
from .vehicleid import VehicleID
from .viper import VIPeR

__all__ = [
    'BaseReIDDataset', 'DatasetLayoutError', 'RandomSplitReIDDataset', 'ReIDFolderDataset',
    'ReIDListDataset', 'ReIDConcatDataset', 'Market1501', 'DukeMTMCReID', 'CUHK03NP', 'CUHK03NPRandomSplit',
    'MSMT17',
    'VehicleID', 'VIPeR', 'PRID2011', 'GRID', 'ILIDS', 'CAVIAR', 'SYSUMM01', 'RegDB',
    'IdentitySampler', 'CrossModalityIdentitySampler', 'PackReIDInputs', 'build_mlr_dataset',
    'PackPairedReIDInputs', 'RandomLowResolutionCopy', 'CUHKSYSU', 'CUHK02', 'DatasetFileError',
    'build_checked_fashion_mnist', 'CheckedFashionMNIST'
]


def __getattr__(name: str):
    # CheckedFashionMNIST subclasses mmpretrain's FashionMNIST: imported on first use only
    if name == 'CheckedFashionMNIST':
        from .fashion_mnist import CheckedFashionMNIST
        return CheckedFashionMNIST
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
