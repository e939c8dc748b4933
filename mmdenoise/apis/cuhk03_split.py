"""An identity split inside the 767 CUHK03 training identities (for model selection here).

Input: a folder with ``index.csv`` (``path,pid,slot,view``) and ``images/`` (``PPPP_KK.jpg``;
slots 00-04 view A, 05-09 view B), as described in ``shared/data/README.md``. Output list files
for ``mmdenoise.ReIDListDataset`` (``<path> <pid> <camid>``, camid = view):

- ``train.txt``: every image of the training identities;
- ``query.txt``: for each validation identity, the first image of each view;
- ``gallery.txt``: the other images of the validation identities.

With the Market protocol (same identity + same camera removed), every query is matched against
the other view only. Nothing here copies or alters an image: the lists point at the originals
through an ``images`` symlink (CUHK03 is research-only and must never be committed).
"""
import csv
import os
import os.path as osp
import random
from collections import defaultdict
from typing import Dict


def make_cuhk03_split(source: str, out_dir: str, num_val_ids: int = 100,
                      seed: int = 0) -> Dict[str, int]:
    index = osp.join(source, 'index.csv')
    if not osp.isfile(index):
        raise FileNotFoundError(f'{index} not found: expected {source}/index.csv '
                                '(path,pid,slot,view) and {source}/images/')
    by_pid = defaultdict(list)
    with open(index) as f:
        for row in csv.DictReader(f):
            by_pid[int(row['pid'])].append((row['path'], int(row['view']), int(row['slot'])))
    pids = sorted(by_pid)
    if num_val_ids >= len(pids):
        raise ValueError(f'num_val_ids={num_val_ids} leaves no training identity '
                         f'({len(pids)} identities)')
    val = set(random.Random(seed).sample(pids, num_val_ids))
    os.makedirs(out_dir, exist_ok=True)
    link = osp.join(out_dir, 'images')
    if not osp.lexists(link):
        os.symlink(osp.abspath(osp.join(source, 'images')), link)
    lines = {'train': [], 'query': [], 'gallery': []}
    for pid in pids:
        images = sorted(by_pid[pid], key=lambda r: r[2])
        if pid not in val:
            lines['train'] += [f'{osp.basename(p)} {pid} {view}' for p, view, _ in images]
            continue
        first_of_view = {}
        for path, view, _ in images:
            first_of_view.setdefault(view, path)
        for path, view, _ in images:
            split = 'query' if first_of_view[view] == path else 'gallery'
            lines[split].append(f'{osp.basename(path)} {pid} {view}')
    for split, rows in lines.items():
        with open(osp.join(out_dir, f'{split}.txt'), 'w') as f:
            f.write('\n'.join(rows) + '\n')
    counts = {split: len(rows) for split, rows in lines.items()}
    counts.update(train_ids=len(pids) - len(val), val_ids=len(val))
    return counts
