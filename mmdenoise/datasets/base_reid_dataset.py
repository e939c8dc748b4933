"""Common base of the ReID datasets: splits, identity relabelling, layout errors.

Every ReID dataset of mmdenoise is an :class:`mmengine.dataset.BaseDataset` whose
``load_data_list()`` returns one dict per image with at least

- ``img_path`` (str), ``pid`` (int, the identity as named by the dataset),
- ``gt_label`` (int): ``pid`` relabelled to ``0..num_classes-1`` for training sets, the
  original ``pid`` for test sets,
- ``camid`` (int, 0-based, ``-1`` when the dataset has no camera ids),
- ``split``: ``'train'``, ``'query'`` or ``'gallery'``,

plus layout-specific keys (``modality``, ``trial``, ``resolution_ratio``...). A training set built
with ``combine_all=True`` (datasets with a fixed train / test identity split only) also holds the
test identities' query and gallery images, each record tagged with its ``source_split``. A test
set is a single dataset holding query and gallery images; the metric separates them with
``split``.
Protocols with several random splits or trials tag each test image with ``trial`` (``-1``: the
image belongs to every trial, e.g. the SYSU-MM01 infrared queries).
"""
import os
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence, Union

from mmengine.dataset import BaseDataset

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
SPLITS = ('train', 'test', 'query', 'gallery')


class DatasetLayoutError(FileNotFoundError):
    """Raised when a dataset folder does not have the layout its parser expects."""


def list_images(folder: str, recursive: bool = False) -> List[str]:
    """Sorted image files (by extension) directly in ``folder`` (or below it if ``recursive``)."""
    found = []
    if recursive:
        for root, _, files in os.walk(folder):
            found.extend(osp.join(root, f) for f in files if f.lower().endswith(IMG_EXTENSIONS))
    else:
        with os.scandir(folder) as entries:
            found = [
                e.path for e in entries if e.is_file() and e.name.lower().endswith(IMG_EXTENSIONS)
            ]
    return sorted(found)


def read_lines(path: str) -> List[str]:
    """Non-empty, stripped lines of a text file (a split / list file).

    Raises:
        DatasetLayoutError: the file does not exist (named, as a missing split file).
        ValueError: the file is not UTF-8 text (named).
    """
    if not osp.isfile(path):
        raise DatasetLayoutError(f'split / list file {path!r} not found')
    try:
        with open(path, encoding='utf-8') as f:
            return [line.strip() for line in f if line.strip()]
    except UnicodeDecodeError as err:
        raise ValueError(f'{path}: not a UTF-8 text file ({err})') from None


class BaseReIDDataset(BaseDataset):
    """Base of all ReID datasets.

    Subclasses set :attr:`LAYOUT` (a short drawing of the expected folder, quoted in error
    messages) and implement :meth:`load_train_records` and :meth:`load_test_records`, which
    return record dicts with ``img_path``, ``pid``, ``camid`` (and ``split`` for test records).
    This class relabels training identities and fills ``gt_label`` and ``metainfo``.

    Args:
        data_root (str): Root folder of the dataset.
        split (str): ``'train'``, ``'test'`` (query + gallery in one dataset), ``'query'`` or
            ``'gallery'``. Defaults to ``'train'``.
        test_mode (bool, optional): Defaults to ``split != 'train'``.
        combine_all (bool): With ``split='train'``, train on every identity of the dataset:
            the training images plus the query and gallery images of the test identities
            (distractors and junk left out, each image once). Test identities get the labels
            after the training ones (training labels unchanged), kept apart from training
            identities even where the dataset reuses the numbers (MSMT17). This is the "Com-"
            / "combine-all" setting of the domain-generalisation protocols (torchreid's
            ``combineall``). Only datasets with a fixed train / test split of identities
            support it (:attr:`SUPPORTS_COMBINE_ALL`). Defaults to False.
        **kwargs: Other arguments of :class:`mmengine.dataset.BaseDataset` (``pipeline``,
            ``serialize_data``, ``lazy_init``, ``indices``, ``metainfo``...).
    """

    #: Drawing of the expected layout, shown when the folder does not match.
    LAYOUT = ''
    #: Whether ``combine_all=True`` is meaningful: a fixed train / test split of identities
    #: whose test records are a query and gallery of other identities.
    SUPPORTS_COMBINE_ALL = False

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 test_mode: Optional[bool] = None,
                 combine_all: bool = False,
                 **kwargs):
        name = type(self).__name__
        if split not in SPLITS:
            raise ValueError(f'{name}: split must be one of {SPLITS}, got {split!r}')
        if not data_root:
            raise ValueError(f'{name}: data_root is required')
        if combine_all and split != 'train':
            raise ValueError(f"{name}: combine_all builds a training set (split='train'), "
                             f'got split={split!r}')
        if combine_all and not self.SUPPORTS_COMBINE_ALL:
            raise ValueError(f'{name}: combine_all needs a fixed train / test split of '
                             f'identities, which {name} does not have')
        self.split = split
        self.combine_all = combine_all
        if test_mode is None:
            test_mode = split != 'train'
        super().__init__(data_root=data_root, test_mode=test_mode, **kwargs)

    # ------------------------------------------------------------------ layout helpers
    def layout_error(self, what: str) -> DatasetLayoutError:
        """An error naming the missing item, the root and the expected layout."""
        msg = (f'{type(self).__name__}: {what} (data_root={self.data_root!r}).')
        if self.LAYOUT:
            msg += f'\nExpected layout:\n{self.LAYOUT.rstrip()}'
        return DatasetLayoutError(msg)

    def require(self, *paths: str) -> None:
        """Raise :class:`DatasetLayoutError` unless every path exists."""
        for path in paths:
            if not osp.exists(path):
                raise self.layout_error(f'missing {path!r}')

    def find_root(self,
                  required: Sequence[str],
                  nested: Iterable[str] = (),
                  include_self: bool = True) -> str:
        """``data_root`` itself or one of its ``nested`` sub-folders that holds ``required``.

        Lets users point ``data_root`` either at the dataset folder or at the folder above it
        (e.g. ``data/market1501`` holding ``Market-1501-v15.09.15/``).
        """
        nested = list(nested)
        candidates = [osp.join(self.data_root, n) for n in nested]
        if include_self:
            candidates.insert(0, self.data_root)
        for root in candidates:
            if all(osp.exists(osp.join(root, r)) for r in required):
                return root
        if not osp.isdir(self.data_root):
            raise self.layout_error('data_root is not a folder')
        places = (['data_root'] if include_self else []) + (
            [f'any of its sub-folders {nested}'] if nested else [])
        where = ' or '.join(places)
        raise self.layout_error(f'missing {list(required)} in {where}')

    # ------------------------------------------------------------------ to be implemented
    def load_train_records(self) -> List[dict]:
        raise NotImplementedError

    def load_test_records(self) -> List[dict]:
        raise NotImplementedError

    def combine_excluded_pids(self) -> set:
        """Test identities that ``combine_all`` leaves out (e.g. gallery distractors)."""
        return set()

    def load_combined_records(self) -> List[dict]:
        """Training records plus each test image of a real test identity, once."""
        records = self.load_train_records()
        for r in records:
            r['source_split'] = 'train'
        self.split = 'test'  # the parsers choose their folders by split
        try:
            test_records = self.load_test_records()
        finally:
            self.split = 'train'
        excluded, seen = self.combine_excluded_pids(), set()
        for r in test_records:
            if r['pid'] in excluded or r['img_path'] in seen:
                continue
            seen.add(r['img_path'])
            records.append(dict(r, source_split=r['split']))
        return records

    # ------------------------------------------------------------------ data list
    def load_data_list(self) -> List[dict]:
        if self.split == 'train':
            records = (self.load_combined_records()
                       if self.combine_all else self.load_train_records())
            if not records:
                raise self.layout_error('no training image found')
            # (is a test identity, pid): test identities after the training ones, and apart
            # from them where a dataset numbers both from 0
            label_of = relabel_map(identity_key(r) for r in records)
            for r in records:
                r.setdefault('camid', -1)
                r['split'] = 'train'
                r['gt_label'] = label_of[identity_key(r)]
            self._metainfo.update(
                num_classes=len(label_of),
                classes=tuple(f'test/{p}' if test else str(p) for test, p in label_of),
                num_images=len(records))
            return records
        records = self.load_test_records()
        if self.split in ('query', 'gallery'):
            records = [r for r in records if r['split'] == self.split]
        if not records:
            raise self.layout_error(f'no {self.split} image found')
        for r in records:
            r.setdefault('camid', -1)
            r['gt_label'] = r['pid']
        query = [r for r in records if r['split'] == 'query']
        gallery = [r for r in records if r['split'] == 'gallery']
        if self.split == 'test' and not (query and gallery):
            # e.g. a query folder of junk images only: the metric could rank nothing
            raise self.layout_error(f'the test set has {len(query)} query and {len(gallery)} '
                                    'gallery images (after dropping junk identities); both '
                                    'must be non-empty')
        trials = sorted({r['trial'] for r in records if r.get('trial', -1) >= 0})
        self._metainfo.update(
            num_query=len(query),
            num_gallery=len(gallery),
            num_query_ids=len({r['pid'] for r in query}),
            num_gallery_ids=len({r['pid'] for r in gallery}),
            trials=tuple(trials))
        return records


def identity_key(record: dict) -> tuple:
    """``(is a test identity, pid)``: identities of a training set built with ``combine_all``
    are told apart by the part of the dataset they come from."""
    return (record.get('source_split', 'train') != 'train', record['pid'])


def relabel_map(pids: Iterable) -> Dict:
    """Map sorted unique identities to ``0..N-1``."""
    return {pid: label for label, pid in enumerate(sorted(set(pids)))}


def resolve_trials(trials: Union[None, int, Sequence[int]], num_trials: int,
                   split: str, name: str) -> List[int]:
    """Trials to build: training uses exactly one (default 0), testing all by default."""
    if trials is None:
        trials = [0] if split == 'train' else list(range(num_trials))
    elif isinstance(trials, int):
        trials = [trials]
    trials = list(trials)
    for t in trials:
        if not 0 <= t < num_trials:
            raise ValueError(f'{name}: trial {t} out of range [0, {num_trials})')
    if split == 'train' and len(trials) != 1:
        raise ValueError(f'{name}: a training set uses one trial (its own identity split), '
                         f'got {trials}')
    return trials
