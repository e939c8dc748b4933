"""MSMT17 (Wei et al., "Person Transfer GAN...", CVPR 2018), V1 and V2 folder layouts."""
import os.path as osp
from typing import List

from mmdenoise.registry import DATASETS
from .base_reid_dataset import BaseReIDDataset, read_lines


@DATASETS.register_module()
class MSMT17(BaseReIDDataset):
    """MSMT17: 1,041 train ids (32,621 images incl. the validation list), 3,060 test ids,
    11,659 queries, 82,161 gallery images, 15 cameras.

    Images are listed in ``list_{train,val,query,gallery}.txt`` (``<rel path> <pid>`` per
    line); the camera is the third ``_`` field of the file name
    (``0000_000_01_0303morning_0015_0.jpg`` -> camera 1 -> ``camid`` 0), as in FastReID and
    torchreid. V1 (``train/``, ``test/``) and V2 (``mask_train_v2/``, ``mask_test_v2/``) are
    detected automatically; ``data_root`` is ``MSMT17_V1``/``MSMT17_V2`` or the folder above.

    Args:
        include_val (bool): Add ``list_val.txt`` to the training set. The official training
            set (32,621 images) is train + val, and TransReID / TransReID-SSL train on both;
            torchreid keeps them apart. Defaults to True.
    """

    LAYOUT = """\
data_root/                    (MSMT17_V1/ or MSMT17_V2/, or the folder holding it)
    train/ + test/            (V1)   or   mask_train_v2/ + mask_test_v2/   (V2)
        0000/0000_000_01_0303morning_0015_0.jpg ...
    list_train.txt  list_val.txt  list_query.txt  list_gallery.txt
        lines: '<path relative to train/ or test/> <pid>'"""

    VERSIONS = {
        'V1': ('train', 'test'),
        'V2': ('mask_train_v2', 'mask_test_v2'),
    }
    NUM_CAMERAS = 15
    SUPPORTS_COMBINE_ALL = True

    def __init__(self, data_root: str = '', include_val: bool = True, **kwargs):
        self.include_val = include_val
        super().__init__(data_root=data_root, **kwargs)

    def _resolve(self):
        """(root, train folder, test folder) for whichever version is present."""
        for nested in ('', 'MSMT17_V1', 'MSMT17_V2', 'MSMT17', 'msmt17'):
            root = osp.join(self.data_root, nested) if nested else self.data_root
            for train_dir, test_dir in self.VERSIONS.values():
                if osp.isdir(osp.join(root, train_dir)) and osp.isdir(osp.join(root, test_dir)):
                    return root, osp.join(root, train_dir), osp.join(root, test_dir)
        raise self.layout_error('found neither train/+test/ (V1) nor '
                                'mask_train_v2/+mask_test_v2/ (V2)')

    def _parse_list(self, list_file: str, image_dir: str, split: str) -> List[dict]:
        self.require(list_file)
        records = []
        for lineno, line in enumerate(read_lines(list_file), 1):
            fields = line.split()
            if len(fields) != 2:
                raise self.layout_error(f'{list_file}:{lineno}: expected "<path> <pid>", '
                                        f'got {line!r}')
            rel_path, pid = fields
            name_fields = osp.basename(rel_path).split('_')
            try:
                camid = int(name_fields[2]) - 1
            except (IndexError, ValueError):
                raise self.layout_error(f'{list_file}:{lineno}: cannot read the camera of '
                                        f'{rel_path!r} (expected pid_index_cam_...)') from None
            records.append(
                dict(
                    img_path=osp.join(image_dir, rel_path), pid=int(pid), camid=camid,
                    split=split))
        return records

    def load_train_records(self) -> List[dict]:
        root, train_dir, _ = self._resolve()
        records = self._parse_list(osp.join(root, 'list_train.txt'), train_dir, 'train')
        if self.include_val:
            records += self._parse_list(osp.join(root, 'list_val.txt'), train_dir, 'train')
        return records

    def load_test_records(self) -> List[dict]:
        root, _, test_dir = self._resolve()
        return (self._parse_list(osp.join(root, 'list_query.txt'), test_dir, 'query') +
                self._parse_list(osp.join(root, 'list_gallery.txt'), test_dir, 'gallery'))
