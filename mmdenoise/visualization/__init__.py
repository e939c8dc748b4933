"""Visualization: ReID rank lists.

Importing this package registers :class:`ReIDVisualizer` in
``mmdenoise.registry.VISUALIZERS``.
"""
from .rank_list import draw_rank_list, enable_rank_lists, save_rank_list
from .reid_visualizer import ReIDVisualizer

__all__ = ['draw_rank_list', 'save_rank_list', 'enable_rank_lists', 'ReIDVisualizer']
