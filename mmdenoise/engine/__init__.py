"""MMEngine hooks and runner loops of mmdenoise."""
from .hooks import (DenoiseLossLoggerHook, DenoiseRepDeployHook, DenoiseRepPhaseHook,
                    IterationSeedHook)
from .runner import MultiTargetTestLoop

__all__ = [
    'DenoiseRepPhaseHook', 'DenoiseRepDeployHook', 'DenoiseLossLoggerHook', 'IterationSeedHook',
    'MultiTargetTestLoop'
]
