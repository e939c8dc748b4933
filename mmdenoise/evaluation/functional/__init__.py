"""Pure-torch ReID evaluation functions (distances, ranking, re-ranking)."""
from .distance import paired_distance, pairwise_distance, prepare_features
from .ranking import (PROTOCOLS, RankingProtocol, cmc_curve, rank_queries, rank_row_exact,
                      summarize)
from .rerank import KReciprocalReranker

__all__ = [
    'pairwise_distance', 'paired_distance', 'prepare_features', 'PROTOCOLS', 'RankingProtocol',
    'rank_queries', 'rank_row_exact', 'summarize', 'cmc_curve', 'KReciprocalReranker'
]
