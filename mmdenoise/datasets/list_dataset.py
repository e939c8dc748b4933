"""A ReID dataset from list files, for users' own data."""
import os.path as osp
from typing import List, Optional

from mmengine.utils import is_abs

from mmdenoise.registry import DATASETS
from .base_reid_dataset import BaseReIDDataset, read_lines


def parse_list_line(line: str):
    """``'<path> <pid> [<camid>]'`` -> ``(path, pid, camid)``; ``camid`` is -1 when absent.

    The path may contain spaces: the identity (and camera) are read from the right.
    """
    parts = line.rsplit(maxsplit=2)
    if len(parts) == 3 and _is_int(parts[1]) and _is_int(parts[2]):
        return parts[0], int(parts[1]), int(parts[2])
    parts = line.rsplit(maxsplit=1)
    if len(parts) == 2 and _is_int(parts[1]):
        return parts[0], int(parts[1]), -1
    raise ValueError(f'expected "<path> <pid> [<camid>]", got {line!r}')


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


@DATASETS.register_module()
class ReIDListDataset(BaseReIDDataset):
    """ReID dataset described by list files with one ``<path> <pid> [<camid>]`` per line.

    Paths are relative to ``data_prefix['img_path']`` (itself relative to ``data_root``).
    Camera ids are used as written (0-based recommended); without them the metric cannot
    remove same-camera matches, so query and gallery should then hold different images of each
    identity (the metric always drops a gallery entry with the query's own ``img_path``).

    Args:
        data_root (str): Root folder.
        split (str): ``'train'`` reads ``ann_file``; ``'test'``/``'query'``/``'gallery'`` read
            ``query_file`` and ``gallery_file``.
        ann_file (str): Training list.
        query_file, gallery_file (str): Test lists.
        junk_pids (tuple): Identities dropped when reading. Defaults to ``(-1,)``.
        data_prefix (dict): ``dict(img_path='images')`` to put images in a sub-folder.
    """

    LAYOUT = """\
data_root/
    train.txt  query.txt  gallery.txt      lines: '<image path> <pid> [<camid>]'
    <data_prefix.img_path>/...             the images, paths relative to this folder"""

    SUPPORTS_COMBINE_ALL = True

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 ann_file: str = '',
                 query_file: Optional[str] = None,
                 gallery_file: Optional[str] = None,
                 junk_pids: tuple = (-1, ),
                 **kwargs):
        self.query_file = query_file
        self.gallery_file = gallery_file
        self.junk_pids = set(junk_pids)
        # BaseDataset joins ann_file with data_root itself; keep the raw value and resolve all
        # list files the same way (_abs), once.
        self.train_file = ann_file
        super().__init__(data_root=data_root, split=split, ann_file=ann_file, **kwargs)

    def _abs(self, path: str) -> str:
        return path if is_abs(path) else osp.join(self.data_root, path)

    def _read(self, list_file: Optional[str], split: str, arg: str) -> List[dict]:
        if not list_file:
            raise ValueError(f'ReIDListDataset: split={self.split!r} needs {arg}')
        list_file = self._abs(list_file)
        self.require(list_file)
        prefix = self.data_prefix.get('img_path', '') or self.data_root
        records = []
        for lineno, line in enumerate(read_lines(list_file), 1):
            try:
                path, pid, camid = parse_list_line(line)
            except ValueError as err:
                raise self.layout_error(f'{list_file}:{lineno}: {err}') from None
            if pid in self.junk_pids:
                continue
            records.append(
                dict(img_path=path if is_abs(path) else osp.join(prefix, path), pid=pid,
                     camid=camid, split=split))
        return records

    def load_train_records(self) -> List[dict]:
        return self._read(self.train_file, 'train', 'ann_file')

    def load_test_records(self) -> List[dict]:
        return (self._read(self.query_file, 'query', 'query_file') +
                self._read(self.gallery_file, 'gallery', 'gallery_file'))
