"""MMEngine visualizer for ReID rank lists."""
from typing import Optional, Sequence

import cv2
import mmcv
import numpy as np
from mmengine.visualization import Visualizer

from mmdenoise.registry import VISUALIZERS
from .rank_list import ImageLike, draw_rank_list


@VISUALIZERS.register_module()
class ReIDVisualizer(Visualizer):
    """Visualizer with :meth:`add_rank_list` (query + top-k gallery, green/red borders).

    Works like the other MMEngine visualizers: the picture goes to the configured
    ``vis_backends`` (``add_image``), is shown with ``show=True`` and/or written to
    ``out_file``. See :func:`~mmdenoise.visualization.draw_rank_list` for the drawing options.
    """

    def add_rank_list(self,
                      name: str,
                      query: ImageLike,
                      gallery: Sequence[ImageLike],
                      matches: Sequence[bool],
                      distances: Optional[Sequence[float]] = None,
                      step: int = 0,
                      show: bool = False,
                      wait_time: float = 0,
                      out_file: Optional[str] = None,
                      **draw_kwargs) -> np.ndarray:
        """Draw a rank list; returns it as an RGB array."""
        canvas = cv2.cvtColor(
            draw_rank_list(query, gallery, matches, distances=distances, **draw_kwargs),
            cv2.COLOR_BGR2RGB)
        self.set_image(canvas)
        if show:
            self.show(canvas, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(canvas[..., ::-1], out_file)
        else:
            self.add_image(name, canvas, step)
        return canvas
