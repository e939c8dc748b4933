"""ReID metrics."""
from .reid_metric import ReIDMetric, valid_gallery_mask

__all__ = ['ReIDMetric', 'valid_gallery_mask']
