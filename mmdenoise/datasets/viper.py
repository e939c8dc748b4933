"""VIPeR (Gray and Tao, ECCV 2008)."""
import os.path as osp
from typing import List

import numpy as np

from mmdenoise.registry import DATASETS
from .base_reid_dataset import list_images
from .random_split_dataset import RandomSplitReIDDataset


@DATASETS.register_module()
class VIPeR(RandomSplitReIDDataset):
    """VIPeR: 632 identities, one image in each of two views (``cam_a``, ``cam_b``).

    Protocol (torchreid, 10 trials): 316 random identities train, 316 test; test queries are
    the images of one view and the gallery those of the other (``direction='a2b'``: query
    ``cam_a``, gallery ``cam_b``; ``'b2a'`` the reverse). Images of the two views are paired by
    sorted file name (the person index prefix ``000_45.bmp``). ``camid`` is 0 for ``cam_a``
    and 1 for ``cam_b``.

    Args:
        direction (str): ``'a2b'`` or ``'b2a'``. Defaults to ``'a2b'``.
        **kwargs: See :class:`RandomSplitReIDDataset`.
    """

    LAYOUT = """\
data_root/            (VIPeR/ or its parent)
    cam_a/  000_45.bmp  001_45.bmp ...   632 images, one per person
    cam_b/  000_90.bmp  001_90.bmp ...   the same persons in the same sorted order"""

    NUM_TRAIN_IDS = 316
    VIEWS = ('cam_a', 'cam_b')

    def __init__(self, data_root: str = '', direction: str = 'a2b', **kwargs):
        if direction not in ('a2b', 'b2a'):
            raise ValueError(f"VIPeR: direction must be 'a2b' or 'b2a', got {direction!r}")
        self.direction = direction
        super().__init__(data_root=data_root, **kwargs)

    def load_images(self) -> List[dict]:
        root = self.find_root(self.VIEWS, ('VIPeR', 'viper'))
        view_a, view_b = (list_images(osp.join(root, v)) for v in self.VIEWS)
        if len(view_a) != len(view_b) or not view_a:
            raise self.layout_error(f'cam_a has {len(view_a)} images and cam_b '
                                    f'{len(view_b)}: expected the same non-zero number')
        records = []
        for camid, view in enumerate((view_a, view_b)):
            for pid, path in enumerate(view):
                records.append(dict(img_path=path, pid=pid, camid=camid))
        return records

    def make_test_records(self, images: List[dict], test_ids: List[int],
                          rng: np.random.Generator) -> List[dict]:
        query_cam = 0 if self.direction == 'a2b' else 1
        keep = set(test_ids)
        return [
            dict(r, split='query' if r['camid'] == query_cam else 'gallery') for r in images
            if r['pid'] in keep
        ]
