"""CUHK02 (Li and Wang, "Locally Aligned Feature Transforms across Views", CVPR 2013), a training
source of the multi-source domain-generalisation ReID protocols (paper 004's "All w/o D")."""
import os.path as osp
import re
from typing import List

from mmdenoise.registry import DATASETS
from .base_reid_dataset import BaseReIDDataset, list_images


@DATASETS.register_module()
class CUHK02(BaseReIDDataset):
    """CUHK02 as a ReID training set: 1,816 identities in five camera-pair folders ``P1``-``P5``,
    each seen by the two cameras of its pair (7,264 images).

    Image names start with the identity number *within* their pair (``<pid>_<index>.png``), so
    an identity is ``(pair, pid)``; its ``pid`` here is ``pair * 100000 + pid`` (unique, and the
    pair stays readable); labels are relabelled as usual. Camera ids are ``2 * (pair - 1) + view`` (``cam1`` -> view 0, ``cam2`` -> view 1), ten
    cameras in all. The DG protocols use every pair for training, so only ``split='train'``
    exists.

    Args:
        data_root (str): The ``cuhk02`` folder, its ``Dataset`` folder, or a folder holding it.
        split (str): ``'train'`` only.
        pairs (tuple[int]): the camera pairs to use (default: all five).
        **kwargs: See :class:`BaseReIDDataset`.
    """

    LAYOUT = """\
data_root/                (cuhk02/ or its parent)
    Dataset/
        P1/ ... P5/
            cam1/   <pid>_<index>.png
            cam2/   <pid>_<index>.png"""

    NESTED_ROOTS = ('Dataset', 'cuhk02/Dataset', 'CUHK02/Dataset')
    PAIRS = (1, 2, 3, 4, 5)
    NAME = re.compile(r'(\d+)_')

    def __init__(self, data_root: str = '', split: str = 'train', pairs=PAIRS, **kwargs):
        if split != 'train':
            raise ValueError(f"CUHK02: only split='train' exists (the DG protocols train on all "
                             f'five camera pairs), got {split!r}')
        pairs = tuple(int(p) for p in pairs)
        if not pairs or any(p not in self.PAIRS for p in pairs):
            raise ValueError(f'CUHK02: pairs must be a non-empty subset of {self.PAIRS}, '
                             f'got {pairs}')
        self.pairs = pairs
        super().__init__(data_root=data_root, split=split, **kwargs)

    def load_train_records(self) -> List[dict]:
        root = self.find_root([f'P{self.pairs[0]}'], self.NESTED_ROOTS)
        records = []
        for pair in self.pairs:
            for view, cam in enumerate(('cam1', 'cam2')):
                folder = osp.join(root, f'P{pair}', cam)
                if not osp.isdir(folder):
                    raise self.layout_error(f'{folder} is missing')
                for path in list_images(folder):
                    match = self.NAME.match(osp.basename(path))
                    if match is None:
                        raise self.layout_error(f'{path!r} is not named <pid>_<index>.png')
                    pid = pair * 100000 + int(match.group(1))
                    records.append(dict(img_path=path, pid=pid, camid=2 * (pair - 1) + view))
        return records
