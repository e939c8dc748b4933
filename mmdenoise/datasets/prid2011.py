"""PRID2011 single-shot (Hirzer et al., SCIA 2011)."""
import os.path as osp
import re
from typing import List

import numpy as np

from mmdenoise.registry import DATASETS
from .base_reid_dataset import list_images
from .random_split_dataset import RandomSplitReIDDataset


@DATASETS.register_module()
class PRID2011(RandomSplitReIDDataset):
    """PRID2011 single-shot: 385 persons in ``cam_a``, 749 in ``cam_b``; persons 1-200 are in
    both views.

    Protocol (torchreid, 10 trials): 100 of the 200 shared persons train, the other 100 test;
    queries are their ``cam_a`` images, the gallery their ``cam_b`` images plus the ``cam_b``
    images of persons 201-749 (distractors that never match). ``camid``: 0 = ``cam_a``,
    1 = ``cam_b``. Persons 201-385 of ``cam_a`` are unused.
    """

    LAYOUT = """\
data_root/                (prid_2011/ or its parent)
    single_shot/
        cam_a/  person_0001.png ... person_0385.png
        cam_b/  person_0001.png ... person_0749.png"""

    NUM_TRAIN_IDS = 100
    NUM_SHARED_IDS = 200
    NAME = re.compile(r'person_(\d+)')

    def load_images(self) -> List[dict]:
        root = self.find_root(['single_shot/cam_a', 'single_shot/cam_b'],
                              ('prid_2011', 'prid2011', 'PRID2011'))
        records = []
        for camid, view in enumerate(('cam_a', 'cam_b')):
            for path in list_images(osp.join(root, 'single_shot', view)):
                match = self.NAME.search(osp.basename(path))
                if match is None:
                    raise self.layout_error(f'{path!r} is not named person_<number>')
                records.append(dict(img_path=path, pid=int(match.group(1)), camid=camid))
        return records

    def split_ids(self, images: List[dict]) -> List[int]:
        in_a = {r['pid'] for r in images if r['camid'] == 0}
        in_b = {r['pid'] for r in images if r['camid'] == 1}
        return sorted(p for p in in_a & in_b if p <= self.NUM_SHARED_IDS)

    def make_test_records(self, images: List[dict], test_ids: List[int],
                          rng: np.random.Generator) -> List[dict]:
        keep = set(test_ids)
        records = [dict(r, split='query') for r in images if r['camid'] == 0 and r['pid'] in keep]
        records += [
            dict(r, split='gallery') for r in images
            if r['camid'] == 1 and (r['pid'] in keep or r['pid'] > self.NUM_SHARED_IDS)
        ]
        return records
