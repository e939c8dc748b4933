"""VehicleID (Liu et al., "Deep Relative Distance Learning", CVPR 2016)."""
import os.path as osp
from typing import List, Optional, Sequence, Union

from mmdenoise.registry import DATASETS
from .base_reid_dataset import BaseReIDDataset, read_lines, resolve_trials
from .splits import trial_rng


@DATASETS.register_module()
class VehicleID(BaseReIDDataset):
    """VehicleID: 13,164 training vehicles; test lists of 800 / 1,600 / 2,400 vehicles.

    Protocol (as FastReID and the original paper): for each test vehicle one image, drawn at
    random, is the gallery and all its other images are queries. There are no camera ids
    (``camid=-1``). With ``num_trials > 1`` the draw is repeated and the metric averages the
    trials (each trial tags its images with ``trial``).

    Args:
        test_size (str | int): ``'small'`` (800), ``'medium'`` (1600) or ``'large'`` (2400).
        num_trials (int): Random gallery draws. Defaults to 1.
        trials (int | list, optional): Trials to build (test only). Defaults to all.
        seed (int): Seed of the draws. Defaults to 0.
    """

    LAYOUT = """\
data_root/                     (VehicleID_V1.0/ or its parent)
    image/<image name>.jpg
    train_test_split/
        train_list.txt  test_list_800.txt  test_list_1600.txt  test_list_2400.txt
            lines: '<image name without .jpg> <vehicle id>'"""

    TEST_SIZES = {'small': 800, 'medium': 1600, 'large': 2400}

    def __init__(self,
                 data_root: str = '',
                 test_size: Union[str, int] = 'small',
                 num_trials: int = 1,
                 trials: Optional[Union[int, Sequence[int]]] = None,
                 seed: int = 0,
                 **kwargs):
        if isinstance(test_size, str):
            if test_size not in self.TEST_SIZES:
                raise ValueError(f'VehicleID: test_size must be one of '
                                 f'{list(self.TEST_SIZES)} or 800/1600/2400, got {test_size!r}')
            test_size = self.TEST_SIZES[test_size]
        self.test_size = int(test_size)
        self.num_trials = num_trials
        self.trials = trials
        self.seed = seed
        super().__init__(data_root=data_root, **kwargs)

    def _root(self) -> str:
        return self.find_root(['image', 'train_test_split'], ('VehicleID_V1.0', 'VehicleID'))

    def _read(self, list_name: str) -> List[dict]:
        root = self._root()
        list_file = osp.join(root, 'train_test_split', list_name)
        self.require(list_file)
        records = []
        for lineno, line in enumerate(read_lines(list_file), 1):
            fields = line.split()
            if len(fields) != 2:
                raise self.layout_error(f'{list_file}:{lineno}: expected "<image> <vehicle id>"'
                                        f', got {line!r}')
            records.append(
                dict(img_path=osp.join(root, 'image', fields[0] + '.jpg'), pid=int(fields[1]),
                     camid=-1))
        return records

    def load_train_records(self) -> List[dict]:
        return self._read('train_list.txt')

    def load_test_records(self) -> List[dict]:
        images = self._read(f'test_list_{self.test_size}.txt')
        by_pid = {}
        for r in images:
            by_pid.setdefault(r['pid'], []).append(r)
        trials = resolve_trials(self.trials, self.num_trials, 'test', 'VehicleID')
        records = []
        for trial in trials:
            rng = trial_rng(self.seed, trial)
            for pid in sorted(by_pid):
                group = by_pid[pid]
                pick = int(rng.integers(len(group)))
                for i, r in enumerate(group):
                    records.append(
                        dict(r, split='gallery' if i == pick else 'query', trial=trial))
        return records
