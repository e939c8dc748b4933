"""MMEngine hooks of mmdenoise."""
from .hooks import (DenoiseLossLoggerHook, DenoiseRepDeployHook, DenoiseRepPhaseHook,
                    IterationSeedHook)

__all__ = [
    'DenoiseRepPhaseHook', 'DenoiseRepDeployHook', 'DenoiseLossLoggerHook', 'IterationSeedHook'
]
