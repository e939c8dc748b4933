"""Logic behind tools/: train, test and fuse checkpoints (the tools are thin fronts over these)."""
from .fuse_checkpoint import (FuseCheckpointError, VerificationError, build_model_from_cfg,
                              compare_models, deploy_model_config, fuse_checkpoint,
                              guess_input_shape, load_training_weights)
from .runner_setup import (ToolError, build_runner, load_config, run_cli,
                           setup_cpu_distributed)
from .testing import (build_test_parser, check_checkpoint_matches_model, enable_tta,
                      enable_visualization, merge_test_args, run_test)
from .training import build_train_parser, merge_train_args, run_train

__all__ = [
    'fuse_checkpoint', 'FuseCheckpointError', 'VerificationError', 'build_model_from_cfg',
    'compare_models', 'deploy_model_config', 'guess_input_shape', 'load_training_weights',
    'ToolError', 'run_cli', 'load_config', 'setup_cpu_distributed', 'build_runner', 'run_train',
    'build_train_parser', 'merge_train_args', 'run_test', 'build_test_parser', 'merge_test_args',
    'enable_visualization', 'enable_tta', 'check_checkpoint_matches_model'
]
