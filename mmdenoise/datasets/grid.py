"""GRID (Loy et al., "Multi-camera activity correlation analysis", CVPR 2009)."""
import os.path as osp
from typing import List

import numpy as np

from mmdenoise.registry import DATASETS
from .base_reid_dataset import list_images
from .random_split_dataset import RandomSplitReIDDataset


@DATASETS.register_module()
class GRID(RandomSplitReIDDataset):
    """GRID: 250 persons seen in a probe and a gallery image, plus 775 gallery-only persons
    (identity ``0000``, distractors), 8 cameras.

    Protocol (10 trials, 125/125 as in torchreid): 125 of the 250 paired persons train; the
    other 125 are tested with their probe images as queries against their gallery images plus
    all 775 distractors. File names ``<pid>_<cam>_...`` (e.g. ``0001_1_25004_107_32_106_221
    .jpeg``) give the identity and the 1-based camera. torchreid reads the splits from
    ``features_and_partitions.mat``; here they are seeded random draws, or ``split_file``.
    """

    LAYOUT = """\
data_root/                  (underground_reid/ or its parent)
    probe/    0001_1_25004_107_32_106_221.jpeg ...   (250 images)
    gallery/  0001_5_25013_..., 0000_...jpeg ...      (1025 images, 0000 = distractor)"""

    NUM_TRAIN_IDS = 125
    DISTRACTOR_PID = 0

    def load_images(self) -> List[dict]:
        root = self.find_root(['probe', 'gallery'], ('underground_reid', 'GRID', 'grid'))
        records = []
        for view in ('probe', 'gallery'):
            for path in list_images(osp.join(root, view)):
                fields = osp.basename(path).split('_')
                try:
                    pid, camid = int(fields[0]), int(fields[1]) - 1
                except (IndexError, ValueError):
                    raise self.layout_error(f'cannot read <pid>_<cam>_ from {path!r}') from None
                records.append(dict(img_path=path, pid=pid, camid=camid, view=view))
        return records

    def split_ids(self, images: List[dict]) -> List[int]:
        probe = {r['pid'] for r in images if r['view'] == 'probe'}
        return sorted(probe - {self.DISTRACTOR_PID})

    def make_test_records(self, images: List[dict], test_ids: List[int],
                          rng: np.random.Generator) -> List[dict]:
        keep = set(test_ids)
        records = []
        for r in images:
            if r['view'] == 'probe' and r['pid'] in keep:
                records.append(dict(r, split='query'))
            elif r['view'] == 'gallery' and (r['pid'] in keep
                                             or r['pid'] == self.DISTRACTOR_PID):
                records.append(dict(r, split='gallery'))
        return records

    def load_train_records(self) -> List[dict]:
        return [r for r in super().load_train_records() if r['pid'] != self.DISTRACTOR_PID]
