"""Build the MLR-* cross-resolution sets (MLR-Market-1501, MLR-CUHK03, MLR-VIPeR).

Protocol (Jiao et al., "Deep low-resolution person re-identification", AAAI 2018, and the
cross-resolution ReID papers that follow it): the images of the chosen low-resolution
camera(s) are down-sampled by a factor r drawn at random from {2, 3, 4} for each image, so
queries from that camera are low resolution while the other cameras stay high resolution.
Down-sampling uses ``cv2.resize(..., interpolation=cv2.INTER_AREA)`` explicitly (some public
scripts use the ``INTER_LINEAR`` default, which aliases).

The output keeps the layout of the source, so the usual parser reads it
(``Market1501``, ``CUHK03NP``, ``VIPeR``). ``mlr_manifest.txt`` lists every down-sampled image
(``<relative path> <r> <original w> <original h> <new w> <new h>``) and ``mlr_config.json``
the arguments. Which camera is the low-resolution one and which split (``query`` only or
all images) is down-sampled should be checked against the paper being reproduced.
"""
import json
import os
import os.path as osp
import re
import shutil
from typing import Dict, Iterable, List, Optional, Sequence

import cv2
import numpy as np

from .base_reid_dataset import IMG_EXTENSIONS, DatasetLayoutError

MARKET_FOLDERS = ('bounding_box_train', 'query', 'bounding_box_test')
CAMERA_IN_NAME = re.compile(r'_c(\d+)')

#: source -> (folders relative to the source root, default low-resolution cameras)
SOURCES: Dict[str, dict] = {
    'market1501': dict(folders=MARKET_FOLDERS, default_cameras=(1, )),
    'cuhk03': dict(
        folders=tuple(f'{s}/{f}' for s in ('labeled', 'detected') for f in MARKET_FOLDERS),
        default_cameras=(2, )),
    'viper': dict(folders=('cam_a', 'cam_b'), default_cameras=(2, )),
}


def downsample(img: np.ndarray, ratio: int) -> np.ndarray:
    """Down-sample by ``ratio`` with area interpolation (sizes rounded, at least 1 pixel)."""
    h, w = img.shape[:2]
    size = (max(1, int(round(w / ratio))), max(1, int(round(h / ratio))))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def image_camera(source: str, folder: str, name: str) -> int:
    """1-based camera of an image: from ``_c<cam>`` in the name, or the VIPeR view folder."""
    if source == 'viper':
        return 1 if osp.basename(folder) == 'cam_a' else 2
    match = CAMERA_IN_NAME.search(name)
    if match is None:
        raise ValueError(f'cannot read the camera (_c<cam>) of {name!r} in {folder!r}')
    return int(match.group(1))


def build_mlr_dataset(src_root: str,
                      dst_root: str,
                      source: str = 'market1501',
                      low_res_cameras: Optional[Iterable[int]] = None,
                      ratios: Sequence[int] = (2, 3, 4),
                      folders: Optional[Sequence[str]] = None,
                      seed: int = 0,
                      overwrite: bool = False) -> dict:
    """Write an MLR copy of a Market-1501 / CUHK03-NP / VIPeR folder.

    Args:
        src_root (str): Source dataset folder (same layout as its parser expects).
        dst_root (str): Output folder (must not exist unless ``overwrite``).
        source (str): ``'market1501'``, ``'cuhk03'`` (CUHK03-NP layout) or ``'viper'``.
        low_res_cameras (Iterable[int], optional): 1-based cameras to down-sample (VIPeR:
            1 = ``cam_a``, 2 = ``cam_b``). Defaults to ``SOURCES[source]['default_cameras']``.
        ratios (Sequence[int]): Down-sampling factors, one drawn per image. Defaults to
            ``(2, 3, 4)``.
        folders (Sequence[str], optional): Folders (relative to ``src_root``) whose images may
            be down-sampled, e.g. ``['query']`` for low-resolution queries only. Defaults to all
            image folders of the layout; other images are copied unchanged.
        seed (int): Seed of the per-image ratio draws (files visited in sorted order).
        overwrite (bool): Replace an existing ``dst_root``.

    Returns:
        dict: Counts ``{'copied': n, 'downsampled': n, 'ratios': {r: n}}``.
    """
    if source not in SOURCES:
        raise ValueError(f'source must be one of {list(SOURCES)}, got {source!r}')
    layout = SOURCES[source]
    present = [f for f in layout['folders'] if osp.isdir(osp.join(src_root, f))]
    if not present:
        raise DatasetLayoutError(
            f'build_mlr_dataset: none of the {source} folders {list(layout["folders"])} '
            f'found in {src_root!r}')
    cameras = set(layout['default_cameras'] if low_res_cameras is None else low_res_cameras)
    lr_folders = set(present if folders is None else folders)
    unknown = lr_folders - set(layout['folders'])
    if unknown:
        raise ValueError(f'folders {sorted(unknown)} are not {source} folders '
                         f'{list(layout["folders"])}')
    ratios = [int(r) for r in ratios]
    if not ratios or min(ratios) < 1:
        raise ValueError(f'ratios must be positive integers, got {ratios}')
    if osp.exists(dst_root):
        if not overwrite:
            raise FileExistsError(f'{dst_root!r} exists; pass overwrite=True to replace it')
        shutil.rmtree(dst_root)

    rng = np.random.default_rng(seed)
    manifest: List[str] = []
    counts = {'copied': 0, 'downsampled': 0, 'ratios': {r: 0 for r in ratios}}
    for folder in present:
        src_dir, dst_dir = osp.join(src_root, folder), osp.join(dst_root, folder)
        os.makedirs(dst_dir, exist_ok=True)
        for name in sorted(os.listdir(src_dir)):
            src, dst = osp.join(src_dir, name), osp.join(dst_dir, name)
            if not osp.isfile(src):
                continue
            is_image = name.lower().endswith(IMG_EXTENSIONS)
            if not (is_image and folder in lr_folders
                    and image_camera(source, folder, name) in cameras):
                shutil.copyfile(src, dst)
                counts['copied'] += 1
                continue
            img = cv2.imread(src, cv2.IMREAD_UNCHANGED)
            if img is None:
                raise ValueError(f'cannot read image {src!r}')
            ratio = int(rng.choice(ratios))
            small = downsample(img, ratio)
            if not cv2.imwrite(dst, small):
                raise OSError(f'cannot write {dst!r}')
            counts['downsampled'] += 1
            counts['ratios'][ratio] += 1
            manifest.append(f'{folder}/{name} {ratio} {img.shape[1]} {img.shape[0]} '
                            f'{small.shape[1]} {small.shape[0]}')
    with open(osp.join(dst_root, 'mlr_manifest.txt'), 'w') as f:
        f.write('\n'.join(manifest) + ('\n' if manifest else ''))
    with open(osp.join(dst_root, 'mlr_config.json'), 'w') as f:
        json.dump(
            dict(
                source=source, src_root=osp.abspath(src_root), low_res_cameras=sorted(cameras),
                ratios=ratios, folders=sorted(lr_folders), seed=seed,
                interpolation='cv2.INTER_AREA', counts=counts),
            f,
            indent=2)
    return counts


def read_mlr_manifest(dst_root: str) -> Dict[str, int]:
    """``{relative path: ratio}`` of the down-sampled images of an MLR folder."""
    ratios = {}
    manifest = osp.join(dst_root, 'mlr_manifest.txt')
    if not osp.isfile(manifest):
        raise FileNotFoundError(
            f'{manifest} not found: {dst_root} is not an MLR folder built by build_mlr_dataset '
            '(tools/dataset_converters/build_mlr_dataset.py)')
    with open(manifest) as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                fields = line.split()
                if len(fields) < 2 or not fields[1].isdigit():
                    raise ValueError(f'{manifest}:{lineno}: expected "<relative path> <ratio>", '
                                     f'got {line.strip()!r}')
                ratios[fields[0]] = int(fields[1])
    return ratios
