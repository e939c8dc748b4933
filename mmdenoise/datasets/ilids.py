"""QMUL i-LIDS (Zheng et al., "Associating groups of people", BMVC 2009)."""
import os.path as osp
from typing import List

import numpy as np

from mmdenoise.registry import DATASETS
from .base_reid_dataset import list_images
from .random_split_dataset import RandomSplitReIDDataset, group_by_pid


@DATASETS.register_module()
class ILIDS(RandomSplitReIDDataset):
    """QMUL i-LIDS: 476 images of 119 persons, names ``<pid:4><index:3>.jpg``.

    Protocol (torchreid, 10 trials): half of the persons (59) train with all their images; for
    each of the other 60, two images drawn at random are one query (``camid`` 0) and one
    gallery image (``camid`` 1). Training images have no camera (``camid=-1``).
    """

    LAYOUT = """\
data_root/                   (the i-LIDS folder)
    images/  0001001.jpg 0001002.jpg ...        (or i-LIDS_Pedestrian/Persons/)
             <pid: 4 digits><image index: 3 digits>.jpg"""

    NUM_TRAIN_IDS = 59
    IMAGE_DIRS = ('images', 'i-LIDS_Pedestrian/Persons', 'Persons')

    def load_images(self) -> List[dict]:
        folder = None
        for sub in self.IMAGE_DIRS:
            for base in ('', 'ilids', 'i-LIDS', 'iLIDS'):
                if osp.isdir(osp.join(self.data_root, base, sub)):
                    folder = osp.join(self.data_root, base, sub)
                    break
            if folder:
                break
        if folder is None:
            raise self.layout_error(f'found none of the image folders {self.IMAGE_DIRS}')
        records = []
        for path in list_images(folder):
            stem = osp.splitext(osp.basename(path))[0]
            if len(stem) != 7 or not stem.isdigit():
                raise self.layout_error(f'{path!r} is not named <pid:4><index:3>.jpg')
            records.append(dict(img_path=path, pid=int(stem[:4]), camid=-1))
        return records

    def make_test_records(self, images: List[dict], test_ids: List[int],
                          rng: np.random.Generator) -> List[dict]:
        groups = group_by_pid(images)
        records = []
        for pid in test_ids:
            group = groups[pid]
            if len(group) < 2:
                continue
            q, g = rng.choice(len(group), 2, replace=False)
            records.append(dict(group[q], split='query', camid=0))
            records.append(dict(group[g], split='gallery', camid=1))
        return records
