"""CUHK-SYSU person crops (Xiao et al., "Joint Detection and Identification Feature Learning
for Person Search", CVPR 2017), a training source of the domain-generalisation ReID protocols."""
import os.path as osp
import re
from typing import List

from mmdenoise.registry import DATASETS
from .base_reid_dataset import BaseReIDDataset, list_images


@DATASETS.register_module()
class CUHKSYSU(BaseReIDDataset):
    """CUHK-SYSU as a ReID training set: the cropped person boxes (about 11,934 identities,
    34,574 crops in the version used by the DG-ReID literature; FastReID's ``CUHKSYSU``).

    Each crop is named ``p<pid>_s<scene>...`` (e.g. ``p1234_s5678.jpg``); the identity is
    ``pid``. The scenes come from street cameras and movies with no camera ids: ``camid=-1``.
    CUHK-SYSU's own test protocol is person *search* in whole scene images, not a query/gallery
    of crops, so only ``split='train'`` exists (the DG protocols use it as a source only).

    Args:
        data_root (str): The ``CUHK-SYSU`` folder or the folder holding it.
        split (str): ``'train'`` only.
        **kwargs: See :class:`BaseReIDDataset`.
    """

    LAYOUT = """\
data_root/                (CUHK-SYSU/ or its parent)
    cropped_images/   p<pid>_s<scene>....jpg|png   e.g. p1234_s5678.png"""

    NESTED_ROOTS = ('CUHK-SYSU', 'cuhksysu', 'cuhk_sysu', 'cuhk-sysu')
    IMAGE_DIR = 'cropped_images'
    NAME = re.compile(r'p(\d+)_s(\d+)')

    def __init__(self, data_root: str = '', split: str = 'train', **kwargs):
        if split != 'train':
            raise ValueError(f"CUHKSYSU: only split='train' exists (CUHK-SYSU is a training "
                             f'source of the DG protocols; its test set is a person-search '
                             f'benchmark, not a ReID query/gallery), got {split!r}')
        super().__init__(data_root=data_root, split=split, **kwargs)

    def load_train_records(self) -> List[dict]:
        root = self.find_root([self.IMAGE_DIR], self.NESTED_ROOTS)
        records = []
        for path in list_images(osp.join(root, self.IMAGE_DIR)):
            match = self.NAME.match(osp.basename(path))
            if match is None:
                raise self.layout_error(f'{path!r} is not named p<pid>_s<scene>...')
            records.append(dict(img_path=path, pid=int(match.group(1)), camid=-1))
        return records
