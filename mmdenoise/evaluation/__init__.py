"""Metrics: the ReID retrieval metric and its protocols.

Importing this package registers :class:`ReIDMetric` in ``mmdenoise.registry.METRICS``.
"""
from .functional import (PROTOCOLS, KReciprocalReranker, RankingProtocol, pairwise_distance,
                         rank_queries, summarize)
from .metrics import ReIDMetric

__all__ = [
    'ReIDMetric', 'PROTOCOLS', 'RankingProtocol', 'rank_queries', 'summarize',
    'pairwise_distance', 'KReciprocalReranker'
]
