"""Models: the DenoiseRep wrapper, ReID models and the seed systems."""
from .wrappers import DenoiseRepWrapper

__all__ = ['DenoiseRepWrapper']
