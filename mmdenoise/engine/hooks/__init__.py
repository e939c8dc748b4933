from .deploy_hook import DenoiseRepDeployHook
from .loss_logger_hook import DenoiseLossLoggerHook
from .phase_hook import DenoiseRepPhaseHook
from .seed_hook import IterationSeedHook

__all__ = [
    'DenoiseRepPhaseHook', 'DenoiseRepDeployHook', 'DenoiseLossLoggerHook', 'IterationSeedHook'
]
