"""Identity-balanced samplers."""
from .identity_sampler import CrossModalityIdentitySampler, IdentitySampler

__all__ = ['IdentitySampler', 'CrossModalityIdentitySampler']
