"""The frozen super-resolution pre-processing of DGRL's low-resolution inputs (paper Sec.
III-B.1): LR images go through a *pretrained* RCAN before the SR feature-extraction branch, and
the SR network is never trained with the ReID model (no gradient, eval mode, no optimizer
entry, no DenoiseRep denoiser).

Sizes. Every image reaches the model at the input size (paper Sec. IV-C: all HR and LR images
are reshaped to 256x128); an LR image is therefore an up-sampled copy whose detail is that of
its ``1/r`` grid (``r`` in {2, 3, 4}). The SR stage reduces it by ``scale`` with area averaging
(for ``scale <= r`` this keeps the detail the LR image has) and up-samples it back by ``scale``:
with RCAN when SR weights are given, otherwise by bicubic interpolation (the fallback: no SR
weights are published with the paper, so a config without ``weights`` runs with bicubic
up-sampling and says so in the log). Pretrain the RCAN on pairs made the same way (HR image
at the input size, reduced by ``scale``).
"""
from typing import Optional, Union

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import nn

from mmdenoise.registry import MODELS

#: keys of the authors' RCAN release that hold its fixed mean shift (a buffer here)
_MEAN_SHIFT_PREFIXES = ('sub_mean.', 'add_mean.')


def _state_dict_from_file(path: str) -> dict:
    from mmdenoise.utils import load_checkpoint_file
    ckpt = load_checkpoint_file(path)
    state = ckpt.get('state_dict', ckpt.get('params', ckpt)) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not state:
        raise RuntimeError(f'FrozenSuperResolution: {path} holds no state dict')
    prefixes = ('module.', 'network.')
    for prefix in prefixes:
        if all(k.startswith(prefix) for k in state):
            state = {k[len(prefix):]: v for k, v in state.items()}
    return {k: v for k, v in state.items() if not k.startswith(_MEAN_SHIFT_PREFIXES)}


@MODELS.register_module()
class FrozenSuperResolution(BaseModule):
    """Frozen SR of LR images at the model's input size (see the module docstring).

    Args:
        scale: SR factor: images are reduced by it (area) and up-sampled back by it.
        network: the SR network config (e.g. ``dict(type='mmdenoise.RCAN', scale=2)``); only
            built when ``weights`` is given.
        weights: a file with the SR network's state dict (an RCAN release or a checkpoint of
            ``network``), loaded by :meth:`init_weights`. None: bicubic fallback.
        rgb_range: pixel range of inputs and outputs (outputs are clamped to it).
    """

    def __init__(self,
                 scale: int = 2,
                 network: Optional[Union[dict, nn.Module]] = None,
                 weights: Optional[str] = None,
                 rgb_range: float = 255.0,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if int(scale) != scale or scale < 1:
            raise ValueError(f'FrozenSuperResolution: scale must be a positive integer, got '
                             f'{scale!r}')
        self.scale = int(scale)
        self.weights = weights
        self.rgb_range = float(rgb_range)
        self.network = None
        if weights is not None:
            if network is None:
                raise ValueError('FrozenSuperResolution: weights given without a network config')
            self.network = MODELS.build(network) if isinstance(network, dict) else network
            net_scale = getattr(self.network, 'scale', self.scale)
            if net_scale != self.scale:
                raise ValueError(f'FrozenSuperResolution: the network up-samples x{net_scale}, '
                                 f'the stage x{self.scale}')
        else:
            print_log(
                'FrozenSuperResolution: no SR weights given, LR images are up-sampled by '
                f'bicubic interpolation (x{self.scale}) instead of the SR network',
                logger='current')
        self.requires_grad_(False)
        super().train(False)

    @property
    def uses_network(self) -> bool:
        """Whether the SR network runs (else the bicubic fallback)."""
        return self.network is not None

    def init_weights(self) -> None:
        """Load the SR weights (strictly, after dropping the RCAN release's mean-shift keys)."""
        super().init_weights()
        if self.network is not None:
            state = _state_dict_from_file(self.weights)
            self.network.load_state_dict(state, strict=True)
            print_log(f'FrozenSuperResolution: loaded {self.weights}', logger='current')
        self.requires_grad_(False)

    def train(self, mode: bool = True) -> 'FrozenSuperResolution':
        """Always in eval mode: the SR network is frozen (paper Sec. III-B.1)."""
        return super().train(False)

    def _check_no_denoiser(self) -> None:
        for name, module in self.named_modules():
            if 'denoiser' in module._modules:
                raise RuntimeError(
                    f'FrozenSuperResolution: a DenoiseRep denoiser is attached to {name!r}; the '
                    'SR module is frozen pre-processing: exclude it from the attachment '
                    r"(e.g. exclude=[r'^sr\.'])")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` LR images at the input size, pixel range -> SR images, same size."""
        if x.dim() != 4:
            raise ValueError(f'FrozenSuperResolution: expected (B, C, H, W), got {tuple(x.shape)}')
        self._check_no_denoiser()
        height, width = x.shape[-2:]
        low_size = (max(1, round(height / self.scale)), max(1, round(width / self.scale)))
        with torch.no_grad():
            low = F.interpolate(x, size=low_size, mode='area')
            if self.network is None:
                out = F.interpolate(low, scale_factor=self.scale, mode='bicubic',
                                    align_corners=False)
            else:
                out = self.network(low)
            if out.shape[-2:] != (height, width):
                out = F.interpolate(out, size=(height, width), mode='bicubic',
                                    align_corners=False)
            return out.clamp_(0.0, self.rgb_range)
