"""ReID data transforms."""
from .formatting import PackReIDInputs

__all__ = ['PackReIDInputs']
