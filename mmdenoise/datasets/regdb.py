"""RegDB visible-thermal ReID (Nguyen et al., Sensors 2017)."""
import os.path as osp
from typing import List, Optional, Sequence, Union

from mmdenoise.registry import DATASETS
from .base_reid_dataset import BaseReIDDataset, read_lines, resolve_trials

VISIBLE, INFRARED = 'visible', 'infrared'


@DATASETS.register_module()
class RegDB(BaseReIDDataset):
    """RegDB: 412 persons, 10 visible and 10 thermal images each.

    Protocol (Ye et al.; the Cross-Modal-Re-ID-baseline ``idx`` files): 10 trials, each with its
    own 206/206 identity split listed in ``idx/{train,test}_{visible,thermal}_<1..10>.txt``
    (``<relative path> <label>`` per line). Queries are all test images of one modality and
    the gallery all test images of the other (``direction='v2i'``: visible to thermal,
    ``'i2v'``: thermal to visible); no camera filtering (metric preset ``protocol='regdb'``).
    A model is trained on trial ``i`` and tested on the same trial, and the 10 runs are
    averaged, so ``trials`` defaults to 0 for both splits; building several test trials at once
    (``trials=[0, ..., 9]``) is only meaningful for a model trained on other data.

    Records carry ``modality`` (``'visible'``/``'infrared'``), ``camid`` 0 (visible) or 1
    (thermal), and ``trial``.

    Args:
        direction (str): ``'v2i'`` or ``'i2v'``. Defaults to ``'v2i'``.
        trials (int | list): 0-based trial(s), i.e. file suffix ``trial + 1``. Defaults to 0.
    """

    LAYOUT = """\
data_root/                  (RegDB/ or its parent)
    Visible/<pid>/...bmp  Thermal/<pid>/...bmp
    idx/train_visible_<t>.txt  idx/train_thermal_<t>.txt     t = 1..10 (the trials)
    idx/test_visible_<t>.txt   idx/test_thermal_<t>.txt
        lines: '<path relative to data_root> <label>'"""

    NUM_TRIALS = 10

    def __init__(self,
                 data_root: str = '',
                 direction: str = 'v2i',
                 trials: Optional[Union[int, Sequence[int]]] = 0,
                 **kwargs):
        if direction not in ('v2i', 'i2v'):
            raise ValueError(f"RegDB: direction must be 'v2i' or 'i2v', got {direction!r}")
        self.direction = direction
        self.trials = trials
        super().__init__(data_root=data_root, **kwargs)

    def _read(self, root: str, kind: str, modality: str, trial: int) -> List[dict]:
        name = 'visible' if modality == VISIBLE else 'thermal'
        path = osp.join(root, 'idx', f'{kind}_{name}_{trial + 1}.txt')
        self.require(path)
        records = []
        for lineno, line in enumerate(read_lines(path), 1):
            parts = line.rsplit(maxsplit=1)
            if len(parts) != 2 or not parts[1].lstrip('-').isdigit():
                raise self.layout_error(f'{path}:{lineno}: expected "<path> <label>", '
                                        f'got {line!r}')
            records.append(
                dict(img_path=osp.join(root, parts[0]), pid=int(parts[1]),
                     camid=0 if modality == VISIBLE else 1, modality=modality, trial=trial))
        return records

    def _trials(self) -> List[int]:
        return resolve_trials(self.trials, self.NUM_TRIALS, self.split, 'RegDB')

    def load_train_records(self) -> List[dict]:
        root = self.find_root(['idx'], ('RegDB', 'regdb'))
        trial, = self._trials()
        return self._read(root, 'train', VISIBLE, trial) + self._read(
            root, 'train', INFRARED, trial)

    def load_test_records(self) -> List[dict]:
        root = self.find_root(['idx'], ('RegDB', 'regdb'))
        query_mod, gallery_mod = ((VISIBLE, INFRARED) if self.direction == 'v2i' else
                                  (INFRARED, VISIBLE))
        records = []
        for trial in self._trials():
            records += [dict(r, split='query') for r in self._read(root, 'test', query_mod, trial)]
            records += [
                dict(r, split='gallery') for r in self._read(root, 'test', gallery_mod, trial)
            ]
        return records
