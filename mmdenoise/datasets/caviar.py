"""CAVIAR4REID (Cheng et al., "Custom pictorial structures for re-identification", BMVC 2011)."""
import os.path as osp
from typing import List

import numpy as np

from mmdenoise.registry import DATASETS
from .base_reid_dataset import list_images
from .random_split_dataset import (RandomSplitReIDDataset, cross_camera_test_records,
                                   group_by_pid)


@DATASETS.register_module()
class CAVIAR(RandomSplitReIDDataset):
    """CAVIAR4REID: 1,220 images of 72 persons from 2 cameras of a shopping centre; 50
    persons have 10 images in each camera, 22 have 10 images in one camera only. Names are
    ``<pid:4><index:3>.jpg``; images 1-10 come from the first camera, 11-20 from the second.

    Cross-resolution protocol (Jiao et al., AAAI 2018; Wang et al., "Cascaded SR-GAN", IJCAI
    2018): the 22 single-camera persons are dropped, the other 50 are split into 25 train and 25
    test persons per trial (10 trials); queries are the test images of ``query_camera`` (the
    genuinely low-resolution view) and the gallery holds ``gallery_shots`` random image(s) per
    test person from the other camera. Which camera is the distant one should be checked
    against the paper being reproduced.

    Args:
        query_camera (int): 0-based camera of the queries. Defaults to 1.
        gallery_shots (int): Gallery images per person. Defaults to 1 (single-shot).
        images_per_camera (int): Consecutive indices per camera. Defaults to 10.
        keep_single_camera_ids (bool): Keep the 22 one-camera persons for training. Defaults
            to False.
    """

    LAYOUT = """\
data_root/                   (CAVIAR4REID/ or its parent)
    0001001.jpg ... 0001020.jpg 0002001.jpg ...    <pid: 4 digits><index: 3 digits>.jpg
    (or the images in an images/ sub-folder)"""

    NUM_TRAIN_IDS = 25

    def __init__(self,
                 data_root: str = '',
                 query_camera: int = 1,
                 gallery_shots: int = 1,
                 images_per_camera: int = 10,
                 keep_single_camera_ids: bool = False,
                 **kwargs):
        if query_camera not in (0, 1):
            raise ValueError(f'CAVIAR: query_camera must be 0 or 1, got {query_camera}')
        self.query_camera = query_camera
        self.gallery_shots = gallery_shots
        self.images_per_camera = images_per_camera
        self.keep_single_camera_ids = keep_single_camera_ids
        super().__init__(data_root=data_root, **kwargs)

    def load_images(self) -> List[dict]:
        folder = None
        for sub in ('', 'images', 'CAVIAR4REID', 'CAVIAR4REID/images', 'caviar4reid'):
            path = osp.join(self.data_root, sub) if sub else self.data_root
            if osp.isdir(path) and list_images(path):
                folder = path
                break
        if folder is None:
            raise self.layout_error('no image found')
        records = []
        for path in list_images(folder):
            stem = osp.splitext(osp.basename(path))[0]
            if len(stem) != 7 or not stem.isdigit():
                raise self.layout_error(f'{path!r} is not named <pid:4><index:3>.jpg')
            index = int(stem[4:])
            records.append(
                dict(img_path=path, pid=int(stem[:4]),
                     camid=(index - 1) // self.images_per_camera))
        return records

    def split_ids(self, images: List[dict]) -> List[int]:
        return sorted(pid for pid, group in group_by_pid(images).items()
                      if len({r['camid'] for r in group}) >= 2)

    def load_train_records(self) -> List[dict]:
        records = super().load_train_records()
        if self.keep_single_camera_ids:
            paired = set(self.split_ids(self.load_images()))
            trial = records[0]['trial'] if records else 0
            records += [dict(r, trial=trial) for r in self.load_images()
                        if r['pid'] not in paired]
        return records

    def make_test_records(self, images: List[dict], test_ids: List[int],
                          rng: np.random.Generator) -> List[dict]:
        return cross_camera_test_records(images, test_ids, rng, self.query_camera,
                                         self.gallery_shots)
