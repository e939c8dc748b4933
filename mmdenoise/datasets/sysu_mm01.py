"""SYSU-MM01 visible-infrared ReID (Wu et al., ICCV 2017)."""
import os.path as osp
from typing import List, Optional, Sequence, Union

from mmdenoise.registry import DATASETS
from .base_reid_dataset import BaseReIDDataset, list_images, read_lines, resolve_trials
from .splits import trial_rng

VISIBLE, INFRARED = 'visible', 'infrared'


@DATASETS.register_module()
class SYSUMM01(BaseReIDDataset):
    """SYSU-MM01: 491 persons, visible cameras 1, 2, 4, 5 and infrared cameras 3, 6.

    Protocol (Wu et al.; the Cross-Modal-Re-ID-baseline code): training uses the ``train_id``
    and ``val_id`` persons (395) with both modalities. Testing uses the 96 ``test_id`` persons:
    the queries are all their infrared images (cameras 3, 6); the gallery holds, for each
    person and each visible camera, ``gallery_shots`` image(s) drawn at random (1: single-shot,
    10: multi-shot), redrawn for each of the 10 trials. ``mode='all'`` searches cameras
    1, 2, 4, 5 and ``mode='indoor'`` cameras 1, 2. ``direction='v2i'`` swaps the roles of the
    modalities (visible queries, infrared gallery draws), a non-standard variant.

    Records carry ``modality`` (``'visible'``/``'infrared'``) and ``camid`` = camera - 1. The
    metric preset ``protocol='sysu'`` removes gallery camera 2 for camera-3 queries, keeps
    same-camera images (they are cross-modality anyway) and computes CMC over de-duplicated
    gallery identities. Infrared queries are shared by all trials (``trial=-1``).

    Args:
        mode (str): ``'all'`` or ``'indoor'``. Defaults to ``'all'``.
        direction (str): ``'i2v'`` (standard) or ``'v2i'``.
        gallery_shots (int): Gallery images per person and camera. Defaults to 1.
        num_trials (int): Gallery draws. Defaults to 10.
        trials (int | list, optional): Trials to build. Defaults to all.
        seed (int): Seed of the draws. Defaults to 0.
    """

    LAYOUT = """\
data_root/                        (SYSU-MM01/ or its parent)
    cam1/ ... cam6/<pid: 4 digits>/<image>.jpg      cams 1,2,4,5 visible; 3,6 infrared
    exp/train_id.txt  exp/val_id.txt  exp/test_id.txt   comma-separated person ids"""

    CAMERAS = (1, 2, 3, 4, 5, 6)
    VISIBLE_CAMERAS = (1, 2, 4, 5)
    INFRARED_CAMERAS = (3, 6)
    INDOOR_CAMERAS = (1, 2)

    def __init__(self,
                 data_root: str = '',
                 mode: str = 'all',
                 direction: str = 'i2v',
                 gallery_shots: int = 1,
                 num_trials: int = 10,
                 trials: Optional[Union[int, Sequence[int]]] = None,
                 seed: int = 0,
                 **kwargs):
        if mode not in ('all', 'indoor'):
            raise ValueError(f"SYSUMM01: mode must be 'all' or 'indoor', got {mode!r}")
        if direction not in ('i2v', 'v2i'):
            raise ValueError(f"SYSUMM01: direction must be 'i2v' or 'v2i', got {direction!r}")
        self.mode = mode
        self.direction = direction
        self.gallery_shots = gallery_shots
        self.num_trials = num_trials
        self.trials = trials
        self.seed = seed
        super().__init__(data_root=data_root, **kwargs)

    def _root(self) -> str:
        return self.find_root(['exp'] + [f'cam{c}' for c in self.CAMERAS],
                              ('SYSU-MM01', 'sysu-mm01', 'SYSU_MM01'))

    def _ids(self, root: str, *names: str) -> List[int]:
        ids = []
        for name in names:
            path = osp.join(root, 'exp', name)
            self.require(path)
            for line in read_lines(path):
                try:
                    ids += [int(x) for x in line.replace(',', ' ').split()]
                except ValueError:
                    raise self.layout_error(f'{path}: expected comma-separated person ids, '
                                            f'got {line!r}') from None
        return sorted(set(ids))

    def _images(self, root: str, pids: List[int], cameras) -> List[dict]:
        records = []
        for cam in cameras:
            modality = INFRARED if cam in self.INFRARED_CAMERAS else VISIBLE
            for pid in pids:
                folder = osp.join(root, f'cam{cam}', f'{pid:04d}')
                if not osp.isdir(folder):
                    continue  # not every person is seen by every camera
                for path in list_images(folder):
                    records.append(
                        dict(img_path=path, pid=pid, camid=cam - 1, modality=modality))
        return records

    def load_train_records(self) -> List[dict]:
        root = self._root()
        return self._images(root, self._ids(root, 'train_id.txt', 'val_id.txt'), self.CAMERAS)

    def load_test_records(self) -> List[dict]:
        root = self._root()
        pids = self._ids(root, 'test_id.txt')
        visible = self.INDOOR_CAMERAS if self.mode == 'indoor' else self.VISIBLE_CAMERAS
        query_cams, gallery_cams = ((self.INFRARED_CAMERAS, visible) if self.direction == 'i2v'
                                    else (visible, self.INFRARED_CAMERAS))
        records = [
            dict(r, split='query', trial=-1) for r in self._images(root, pids, query_cams)
        ]
        candidates = {}
        for r in self._images(root, pids, gallery_cams):
            candidates.setdefault((r['pid'], r['camid']), []).append(r)
        for trial in resolve_trials(self.trials, self.num_trials, 'test', 'SYSUMM01'):
            rng = trial_rng(self.seed, trial)
            for key in sorted(candidates):
                group = candidates[key]
                picks = rng.choice(len(group), min(self.gallery_shots, len(group)),
                                   replace=False)
                records += [dict(group[i], split='gallery', trial=trial) for i in sorted(picks)]
        return records
