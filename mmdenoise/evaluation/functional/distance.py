"""Distances between query and gallery features (pure torch, CPU or GPU)."""
import torch
import torch.nn.functional as F

DISTANCES = ('cosine', 'euclidean')


def prepare_features(features: torch.Tensor, distance: str, normalize: bool = False):
    """L2-normalise for the cosine distance (or when ``normalize``); check the name."""
    if distance not in DISTANCES:
        raise ValueError(f'distance must be one of {DISTANCES}, got {distance!r}')
    if distance == 'cosine' or normalize:
        features = F.normalize(features, dim=1)
    return features


def normalize_(features: torch.Tensor) -> torch.Tensor:
    """In-place L2 normalisation of the rows (no copy of a large feature matrix)."""
    return features.div_(features.norm(dim=1, keepdim=True).clamp_min_(1e-12))


def pairwise_distance(query: torch.Tensor, gallery: torch.Tensor, distance: str,
                      gallery_sq_norm: torch.Tensor = None) -> torch.Tensor:
    """``[Q, G]`` distances between (prepared) features.

    ``'cosine'``: ``1 - q.g`` on L2-normalised features. ``'euclidean'``: the *squared*
    Euclidean distance ``|q|^2 + |g|^2 - 2 q.g`` clamped at 0 (same ranking as the Euclidean
    distance; it is what TransReID and the k-reciprocal re-ranking code use).
    """
    if distance == 'cosine':
        one = torch.ones(1, dtype=query.dtype, device=query.device)
        return torch.addmm(one, query, gallery.T, alpha=-1)  # 1 - q.g in the GEMM
    if gallery_sq_norm is None:
        gallery_sq_norm = (gallery * gallery).sum(1)
    dist = torch.addmm(gallery_sq_norm[None], query, gallery.T, alpha=-2)
    return dist.add_((query * query).sum(1, keepdim=True)).clamp_min_(0)


def paired_distance(anchor: torch.Tensor, others: torch.Tensor, distance: str) -> torch.Tensor:
    """Distances between ``anchor[i]`` (``[C, D]``) and each ``others[i, m]`` (``[C, M, D]``)."""
    sim = torch.einsum('cd,cmd->cm', anchor, others)
    if distance == 'cosine':
        return 1 - sim
    dist = (anchor * anchor).sum(1, keepdim=True) + (others * others).sum(2) - 2 * sim
    return dist.clamp_min(0)
