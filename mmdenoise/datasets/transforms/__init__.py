"""ReID data transforms."""
from .formatting import PackReIDInputs
from .resolution import PackPairedReIDInputs, RandomLowResolutionCopy

__all__ = ['PackReIDInputs', 'PackPairedReIDInputs', 'RandomLowResolutionCopy']
