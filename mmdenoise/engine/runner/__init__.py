"""Runner loops of mmdenoise."""
from .multi_target_test_loop import MultiTargetTestLoop

__all__ = ['MultiTargetTestLoop']
