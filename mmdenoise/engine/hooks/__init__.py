from .checkpoint_hook import AtomicCheckpointHook
from .deploy_hook import DenoiseRepDeployHook
from .loss_logger_hook import DenoiseLossLoggerHook
from .phase_hook import DenoiseRepPhaseHook
from .seed_hook import IterationSeedHook, epoch_worker_init_fn

__all__ = [
    'DenoiseRepPhaseHook', 'DenoiseRepDeployHook', 'DenoiseLossLoggerHook', 'IterationSeedHook',
    'AtomicCheckpointHook', 'epoch_worker_init_fn'
]
