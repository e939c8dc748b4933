"""DenoiseRep: denoising layers attached to existing Linear/Conv2d layers and fused exactly.

Plain PyTorch (no MMEngine imports). Typical use::

    layers = attach_denoisers(model, include=[r'ffn\\.layers\\.\\d+\\.\\d+$'])
    set_training_mode(model, 'label_free')
    ...  # forward, then collect_noise_losses(model)['loss_denoise'].backward()
    plain = fuse(model)  # new model: original classes, keys and shapes
"""
from .attach import (DenoisedLayer, attach_denoisers, denoised_layer_info, find_denoised_layers,
                     find_uncalled_layers)
from .denoisers import TRAINING_MODES, LayerDenoiser, NoisePredictor
from .feature_denoiser import FeatureDenoiser
from .fuse import (denoiser_affine_map, fuse, fuse_layer, fused_parameters, is_fused,
                   switch_to_deploy)
from .modes import (apply_training_mode, collect_noise_losses, get_training_mode,
                    set_training_mode)
from .schedule import DiffusionSchedule
from .verify import FusionCheckError, check_fused, first_non_finite

__all__ = [
    'DiffusionSchedule', 'NoisePredictor', 'LayerDenoiser', 'FeatureDenoiser', 'DenoisedLayer',
    'TRAINING_MODES', 'attach_denoisers', 'find_denoised_layers', 'denoised_layer_info',
    'find_uncalled_layers', 'set_training_mode', 'apply_training_mode', 'get_training_mode',
    'collect_noise_losses', 'fuse', 'switch_to_deploy', 'is_fused', 'fuse_layer',
    'fused_parameters', 'denoiser_affine_map', 'check_fused', 'FusionCheckError',
    'first_non_finite'
]
