"""Market-1501-style folders: Market-1501, DukeMTMC-reID, CUHK03-NP and users' own folders.

File names follow ``<pid>_c<cam>...`` (e.g. ``0001_c1s1_000151_00.jpg``), parsed with the
regular expression ``([-\\d]+)_c(\\d+)`` as FastReID / torchreid do. Protocol (Zheng et al.,
ICCV 2015): identity ``-1`` (junk boxes) is dropped everywhere; identity ``0`` (distractors) is
kept in the gallery and dropped from training; camera ids become 0-based.
"""
import os.path as osp
import re
from typing import List, Optional

import numpy as np

from mmdenoise.registry import DATASETS
from .base_reid_dataset import IMG_EXTENSIONS, BaseReIDDataset, list_images
from .random_split_dataset import RandomSplitReIDDataset, cross_camera_test_records

MARKET_PATTERN = r'([-\d]+)_c(\d+)'


@DATASETS.register_module()
class ReIDFolderDataset(BaseReIDDataset):
    """A ReID dataset from folders of Market-style file names (users' own data).

    Layout (folder names configurable)::

        data_root/
            bounding_box_train/  0001_c1s1_000151_00.jpg ...
            query/               0001_c1s1_001051_00.jpg ...
            bounding_box_test/   0000_c1s1_000000_01.jpg ...   (0000: distractor, -1: junk)

    Args:
        data_root (str): Dataset folder.
        split (str): ``'train'``, ``'test'``, ``'query'`` or ``'gallery'``.
        train_dir, query_dir, gallery_dir (str): Sub-folders.
        pattern (str): Regular expression whose first two groups are the identity and the
            1-based camera; a pattern without a camera group gives ``camid=-1``.
        junk_pids (tuple): Identities dropped everywhere. Defaults to ``(-1,)``.
        distractor_pids (tuple): Identities kept in the gallery only. Defaults to ``(0,)``.
        recursive (bool): Look for images in sub-folders too. Defaults to False.
    """

    LAYOUT = """\
data_root/
    bounding_box_train/   <pid>_c<cam>....jpg   e.g. 0002_c1s1_000451_03.jpg
    query/                <pid>_c<cam>....jpg
    bounding_box_test/    <pid>_c<cam>....jpg   (pid 0000: distractor, -1: junk)"""

    #: Folders under ``data_root`` where the dataset may be nested (e.g. the unzip folder).
    NESTED_ROOTS = ()
    NUM_CAMERAS: Optional[int] = None
    SUPPORTS_COMBINE_ALL = True

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 train_dir: str = 'bounding_box_train',
                 query_dir: str = 'query',
                 gallery_dir: str = 'bounding_box_test',
                 pattern: str = MARKET_PATTERN,
                 junk_pids: tuple = (-1, ),
                 distractor_pids: tuple = (0, ),
                 recursive: bool = False,
                 **kwargs):
        self.dirs = dict(train=train_dir, query=query_dir, gallery=gallery_dir)
        self.pattern = re.compile(pattern)
        self.junk_pids = set(junk_pids)
        self.distractor_pids = set(distractor_pids)
        self.recursive = recursive
        super().__init__(data_root=data_root, split=split, **kwargs)

    def _dataset_root(self) -> str:
        needed = [self.dirs['train']] if self.split == 'train' else [
            self.dirs['query'], self.dirs['gallery']
        ]
        return self.find_root(needed, self.NESTED_ROOTS)

    def _parse_folder(self, folder: str, split: str) -> List[dict]:
        records = []
        paths = list_images(folder, self.recursive)
        if not paths:
            raise self.layout_error(
                f'the {split} folder {folder!r} holds no image (a {split} set must not be '
                f'empty; extensions read: {", ".join(IMG_EXTENSIONS)}'
                f'{"" if self.recursive else "; sub-folders are not searched (recursive=False)"})')
        for path in paths:
            match = self.pattern.search(osp.basename(path))
            if match is None:
                raise self.layout_error(
                    f'cannot parse identity/camera from {path!r} with pattern '
                    f'{self.pattern.pattern!r}')
            pid = int(match.group(1))
            if pid in self.junk_pids:
                continue
            if pid in self.distractor_pids and split != 'gallery':
                continue
            camid = int(match.group(2)) - 1 if self.pattern.groups >= 2 else -1
            if self.NUM_CAMERAS is not None and not 0 <= camid < self.NUM_CAMERAS:
                raise self.layout_error(f'camera {camid + 1} of {path!r} is outside '
                                        f'1..{self.NUM_CAMERAS}')
            records.append(dict(img_path=path, pid=pid, camid=camid, split=split))
        return records

    def load_train_records(self) -> List[dict]:
        root = self._dataset_root()
        return self._parse_folder(osp.join(root, self.dirs['train']), 'train')

    def load_test_records(self) -> List[dict]:
        root = self._dataset_root()
        return (self._parse_folder(osp.join(root, self.dirs['query']), 'query') +
                self._parse_folder(osp.join(root, self.dirs['gallery']), 'gallery'))

    def combine_excluded_pids(self) -> set:
        return set(self.distractor_pids)


@DATASETS.register_module()
class Market1501(ReIDFolderDataset):
    """Market-1501 (Zheng et al., ICCV 2015): 751 train ids (12,936 images), 3,368 queries,
    19,732 gallery images (incl. 2,793 distractors ``0000``), 6 cameras.

    ``data_root`` is the ``Market-1501-v15.09.15`` folder or the folder holding it.
    """
    NESTED_ROOTS = ('Market-1501-v15.09.15', 'Market-1501', 'market1501')
    NUM_CAMERAS = 6


@DATASETS.register_module()
class DukeMTMCReID(ReIDFolderDataset):
    """DukeMTMC-reID (Ristani et al. 2016; Zheng et al., ICCV 2017): 702 train ids (16,522
    images), 2,228 queries, 17,661 gallery images, 8 cameras, names ``0001_c2_f0046182.jpg``.

    ``data_root`` is the ``DukeMTMC-reID`` folder or the folder holding it. The dataset was
    withdrawn by its authors; the parser is kept for existing copies.
    """
    NESTED_ROOTS = ('DukeMTMC-reID', 'dukemtmc-reid', 'dukemtmcreid')
    NUM_CAMERAS = 8


@DATASETS.register_module()
class CUHK03NP(ReIDFolderDataset):
    """CUHK03-NP (Zhong et al., CVPR 2017, "new protocol"): 767 train ids, 700 test ids,
    with ``labeled`` (7,368 / 1,400 / 5,328 images) or ``detected`` (7,365 / 1,400 / 5,332)
    boxes, in Market-style folders and names, 2 cameras per identity.

    Layout::

        data_root/            (the cuhk03-np folder, or the folder holding it)
            labeled/{bounding_box_train,query,bounding_box_test}/0001_c1_1.png ...
            detected/{bounding_box_train,query,bounding_box_test}/...

    Args:
        subset (str): ``'labeled'`` or ``'detected'``. Defaults to ``'labeled'``.
    """

    LAYOUT = """\
data_root/                (cuhk03-np/ or its parent)
    labeled/
        bounding_box_train/  <pid>_c<cam>_<n>.png   e.g. 0001_c1_1.png
        query/
        bounding_box_test/
    detected/
        (same three folders)"""

    SUBSETS = ('labeled', 'detected')

    def __init__(self, data_root: str = '', subset: str = 'labeled', **kwargs):
        if subset not in self.SUBSETS:
            raise ValueError(f'CUHK03NP: subset must be one of {self.SUBSETS}, got {subset!r}')
        self.subset = subset
        super().__init__(data_root=data_root, **kwargs)

    def _dataset_root(self) -> str:
        needed = [self.dirs['train']] if self.split == 'train' else [
            self.dirs['query'], self.dirs['gallery']
        ]
        # the subset folder is mandatory: a bare Market-style root is not CUHK03-NP
        return self.find_root(needed, self.subset_folders(self.subset), include_self=False)

    @staticmethod
    def subset_folders(subset: str) -> List[str]:
        """Where the subset folder may be, relative to ``data_root``."""
        return [subset] + [osp.join(p, subset) for p in ('cuhk03-np', 'CUHK03-NP', 'cuhk03_np')]


@DATASETS.register_module()
class CUHK03NPRandomSplit(RandomSplitReIDDataset):
    """CUHK03 with the classic random identity splits, read from CUHK03-NP folders.

    The MLR-CUHK03 cross-resolution set (Jiao et al., AAAI 2018) uses the classic protocol:
    1,367 training and 100 test identities per trial instead of the 767/700 new protocol. All
    images of the ``subset`` (train + query + gallery folders of CUHK03-NP, 1,467 identities,
    2 cameras) are pooled and split at random per trial (10 trials); the test queries are the
    images of ``query_camera`` (the low-resolution camera of the MLR build, 0-based) and the
    gallery holds ``gallery_shots`` image(s) per identity from the other camera. Check the
    query camera and gallery size against the paper being reproduced.

    Args:
        subset (str): ``'labeled'`` or ``'detected'``.
        query_camera (int): 0-based camera of the queries. Defaults to 1 (``c2``).
        gallery_shots (int): Gallery images per identity. Defaults to 1.
        **kwargs: See :class:`RandomSplitReIDDataset` (``num_train_ids`` defaults to 1367).
    """

    LAYOUT = CUHK03NP.LAYOUT
    NUM_TRAIN_IDS = 1367

    def __init__(self,
                 data_root: str = '',
                 subset: str = 'labeled',
                 query_camera: int = 1,
                 gallery_shots: int = 1,
                 **kwargs):
        if subset not in CUHK03NP.SUBSETS:
            raise ValueError(f'CUHK03NPRandomSplit: subset must be one of {CUHK03NP.SUBSETS}, '
                             f'got {subset!r}')
        self.subset = subset
        self.query_camera = query_camera
        self.gallery_shots = gallery_shots
        super().__init__(data_root=data_root, **kwargs)

    def load_images(self) -> List[dict]:
        folders = ('bounding_box_train', 'query', 'bounding_box_test')
        root = self.find_root(folders, CUHK03NP.subset_folders(self.subset), include_self=False)
        pattern = re.compile(MARKET_PATTERN)
        records = []
        for folder in folders:
            paths = list_images(osp.join(root, folder))
            if not paths:
                raise self.layout_error(f'the folder {osp.join(root, folder)!r} holds no image')
            for path in paths:
                match = pattern.search(osp.basename(path))
                if match is None:
                    raise self.layout_error(f'cannot parse identity/camera from {path!r}')
                records.append(
                    dict(img_path=path, pid=int(match.group(1)), camid=int(match.group(2)) - 1))
        return records

    def make_test_records(self, images: List[dict], test_ids: List[int],
                          rng: np.random.Generator) -> List[dict]:
        return cross_camera_test_records(images, test_ids, rng, self.query_camera,
                                         self.gallery_shots)
