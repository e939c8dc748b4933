"""Rank-list pictures: a query and its top-k gallery images with green (true match) or red
(false match) borders, as in torchreid's ``visualize_ranked_results`` and FastReID's demo."""
import os
import os.path as osp
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np

ImageLike = Union[str, np.ndarray]

#: BGR colours
MATCH_COLOR = (0, 200, 0)
MISMATCH_COLOR = (0, 0, 230)
QUERY_COLOR = (160, 160, 160)
BACKGROUND = (255, 255, 255)


def _load(image: ImageLike) -> np.ndarray:
    if isinstance(image, str):
        img = cv2.imread(image, cv2.IMREAD_COLOR)
        if img is None:
            raise FileNotFoundError(f'cannot read image {image!r}')
        return img
    img = np.asarray(image)
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    return img.astype(np.uint8)


def _cell(image: ImageLike, size: Tuple[int, int], border: int, color, caption: str,
          caption_height: int) -> np.ndarray:
    width, height = size
    img = cv2.resize(_load(image), (width, height), interpolation=cv2.INTER_LINEAR)
    img = cv2.copyMakeBorder(img, border, border, border, border, cv2.BORDER_CONSTANT,
                             value=color)
    if caption_height:
        strip = np.full((caption_height, img.shape[1], 3), BACKGROUND, np.uint8)
        cv2.putText(strip, caption, (2, caption_height - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.35,
                    (0, 0, 0), 1, cv2.LINE_AA)
        img = np.concatenate([img, strip], 0)
    return img


def draw_rank_list(query: ImageLike,
                   gallery: Sequence[ImageLike],
                   matches: Sequence[bool],
                   distances: Optional[Sequence[float]] = None,
                   size: Tuple[int, int] = (64, 128),
                   border: int = 4,
                   gap: int = 12,
                   caption_height: int = 14) -> np.ndarray:
    """One row: the query (grey border), a gap, then the ranked gallery images with a green
    border for a true match and a red one otherwise.

    Args:
        query: Query image (path or BGR array).
        gallery: Ranked gallery images (paths or BGR arrays), best first.
        matches: Whether each gallery image has the query's identity.
        distances: Optional distances written under the gallery images.
        size: ``(width, height)`` of every image. Defaults to ``(64, 128)``.
        border: Border width in pixels. Defaults to 4.
        gap: White space after the query. Defaults to 12.
        caption_height: Height of the caption strip (0: none). Defaults to 14.

    Returns:
        np.ndarray: BGR uint8 image of height ``size[1] + 2 * border + caption_height``.
    """
    if len(gallery) != len(matches):
        raise ValueError(f'{len(gallery)} gallery images but {len(matches)} match flags')
    cells = [_cell(query, size, border, QUERY_COLOR, 'query', caption_height)]
    cells.append(np.full((cells[0].shape[0], gap, 3), BACKGROUND, np.uint8))
    for rank, (image, match) in enumerate(zip(gallery, matches), 1):
        caption = f'{rank}' if distances is None else f'{rank}: {distances[rank - 1]:.3f}'
        cells.append(
            _cell(image, size, border, MATCH_COLOR if match else MISMATCH_COLOR, caption,
                  caption_height))
    return np.concatenate(cells, 1)


def save_rank_list(query: ImageLike, gallery: Sequence[ImageLike], matches: Sequence[bool],
                   out_file: str, **kwargs) -> np.ndarray:
    """Draw with :func:`draw_rank_list` and write ``out_file`` (folders created)."""
    canvas = draw_rank_list(query, gallery, matches, **kwargs)
    folder = osp.dirname(out_file)
    if folder:
        os.makedirs(folder, exist_ok=True)
    if not cv2.imwrite(out_file, canvas):
        raise OSError(f'cannot write {out_file!r}')
    return canvas


def enable_rank_lists(cfg, show_dir: str, num_rank_lists: int = 20, topk: int = 10) -> int:
    """Point every ``ReIDMetric`` of ``cfg.test_evaluator`` at ``show_dir``.

    For ``tools/test.py --show-dir``: a ReID rank list needs the whole gallery, so it is drawn
    by the metric after evaluation rather than by the per-sample ``VisualizationHook``.
    Returns the number of metrics changed.
    """
    evaluator = cfg.get('test_evaluator')
    if evaluator is None:
        return 0
    metrics = evaluator.get('metrics', evaluator) if isinstance(evaluator, dict) else evaluator
    metrics = metrics if isinstance(metrics, (list, tuple)) else [metrics]
    changed = 0
    for metric in metrics:
        if isinstance(metric, dict) and str(metric.get('type', '')).split('.')[-1] == 'ReIDMetric':
            metric['rank_list_dir'] = show_dir
            metric['num_rank_lists'] = num_rank_lists
            metric['rank_list_topk'] = topk
            changed += 1
    return changed
