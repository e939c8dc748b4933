"""The dual-stream ResNet of D-SELACFP (paper 002, section 2.1, Fig. 1; section 3.2)."""
import copy
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmpretrain.models.backbones import ResNet
from torch import nn

from mmdenoise.registry import MODELS
from .ifpem import InterModalFeaturePerceptionEnhancement
from .lam import LocalAttentionModule
from .modality import route_by_modality


class ModalityStem(nn.Module):
    """conv1 -> bn1 -> ReLU: a ResNet stem (its "layer 0" without the max-pool)."""

    def __init__(self, conv1: nn.Conv2d, bn1: nn.Module):
        super().__init__()
        self.conv1 = conv1
        self.bn1 = bn1
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.bn1(self.conv1(x)))


@MODELS.register_module()
class DualStreamResNet(ResNet):
    """ResNet with a modality-specific stem per modality and shared stages, plus LAM / IFPEM.

    Paper 002 section 2.1: the shallow module ("layer 0": conv1, BN, ReLU, max-pool) has separate
    parameters for the visible and the infrared path, layers 1-4 are shared. The visible stem is
    mmpretrain's own ``conv1`` / ``bn1`` and the infrared one is ``infrared_stem.conv1`` /
    ``infrared_stem.bn1``, so an ImageNet ResNet checkpoint loads with its own keys
    (``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``; only the
    ``infrared_stem``, LAM and IFPEM keys are missing) and ``init_weights`` then copies the
    visible stem into the infrared one (``init_infrared_from_visible``). Each stem runs on the
    samples of its modality only (its BN keeps per-modality statistics); the max-pool is shared.

    LAM (:class:`LocalAttentionModule`) and IFPEM
    (:class:`InterModalFeaturePerceptionEnhancement`) are inserted between stages:

    * ``lam_cfgs={'layer3': dict(num_parts=6, dct_size=(8, 16)), ...}``: a LAM on the input of
      each named stage (its ``channels`` is filled in);
    * ``ifpem_cfg=dict(stage='layer4', ...)``: an IFPEM "between" the stage before ``stage`` and
      ``stage``: low-level map = the input of ``stage`` (after its LAM, if any), high-level map =
      the output of ``stage``, which it re-weights; channels are filled in.

    The SYSU-MM01 configs put LAM before layers 3 and 4 and IFPEM between layers 3 and 4; the
    RegDB configs train up to stage 3 (``num_stages=3``) with LAM before layers 2 and 3 and IFPEM
    between layers 2 and 3 (section 3.2).

    ``forward(x, infrared)`` takes the ``(B,)`` bool mask of infrared samples and returns the
    last stage's map as a 1-tuple (as mmpretrain backbones with one ``out_indices``).

    Args:
        depth / num_stages / strides / dilations / **kwargs: as mmpretrain ``ResNet`` (its
            ``out_indices`` is always the last stage; ``deep_stem`` is not supported).
        lam_cfgs: ``{stage name: LocalAttentionModule kwargs}``.
        ifpem_cfg: IFPEM kwargs plus ``stage``; None: no IFPEM.
        init_infrared_from_visible: copy the visible stem into the infrared one after
            ``init_weights`` (so both start from the ImageNet stem).
    """

    def __init__(self,
                 depth: int = 50,
                 num_stages: int = 4,
                 strides: Sequence[int] = (1, 2, 2, 1),
                 dilations: Optional[Sequence[int]] = None,
                 lam_cfgs: Optional[Dict[str, dict]] = None,
                 ifpem_cfg: Optional[dict] = None,
                 init_infrared_from_visible: bool = True,
                 **kwargs):
        if kwargs.pop('deep_stem', False):
            raise ValueError('DualStreamResNet: deep_stem is not supported (the modality stems '
                             'are conv1 / bn1)')
        if 'out_indices' in kwargs and tuple(kwargs['out_indices']) != (num_stages - 1, ):
            raise ValueError(f'DualStreamResNet outputs the last stage only; out_indices must '
                             f'be ({num_stages - 1},), got {kwargs["out_indices"]}')
        kwargs['out_indices'] = (num_stages - 1, )
        if dilations is None:
            dilations = (1, ) * num_stages
        super().__init__(depth, num_stages=num_stages, strides=tuple(strides),
                         dilations=tuple(dilations), **kwargs)
        self.init_infrared_from_visible = init_infrared_from_visible
        self.infrared_stem = ModalityStem(copy.deepcopy(self.conv1), copy.deepcopy(self.norm1))

        in_channels, out_channels = self._stage_channels()
        self.lams = nn.ModuleDict()
        for stage, cfg in (lam_cfgs or {}).items():
            self._check_stage(stage, 'lam_cfgs')
            self.lams[stage] = LocalAttentionModule(in_channels[stage], **cfg)
        self.ifpem_stage = None
        self.ifpem = None
        if ifpem_cfg is not None:
            cfg = dict(ifpem_cfg)
            stage = cfg.pop('stage', None)
            self._check_stage(stage, 'ifpem_cfg.stage')
            self.ifpem_stage = stage
            self.ifpem = InterModalFeaturePerceptionEnhancement(in_channels[stage],
                                                                out_channels[stage], **cfg)
        self._freeze_stages()  # again, now that the infrared stem exists

    # ------------------------------------------------------------------ structure
    def _stage_channels(self) -> Tuple[Dict[str, int], Dict[str, int]]:
        in_channels, out_channels = {}, {}
        channels = self.stem_channels
        for name in self.res_layers:
            in_channels[name] = channels
            channels = getattr(self, name)[-1].out_channels
            out_channels[name] = channels
        return in_channels, out_channels

    @property
    def out_channels(self) -> int:
        """Channels of the output map."""
        return self._stage_channels()[1][self.res_layers[-1]]

    def _check_stage(self, stage, what: str) -> None:
        if stage not in self.res_layers:
            raise ValueError(f'DualStreamResNet: {what} names stage {stage!r}; this network has '
                             f'{self.res_layers}')

    def _freeze_stages(self):
        super()._freeze_stages()
        if self.frozen_stages >= 0 and hasattr(self, 'infrared_stem'):
            self.infrared_stem.eval()
            for param in self.infrared_stem.parameters():
                param.requires_grad = False

    def init_weights(self):
        super().init_weights()
        if self.init_infrared_from_visible:
            self.infrared_stem.conv1.load_state_dict(self.conv1.state_dict())
            self.infrared_stem.bn1.load_state_dict(self.norm1.state_dict())

    # ------------------------------------------------------------------ forward
    def visible_stem(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.norm1(self.conv1(x)))

    def forward(self, x: torch.Tensor, infrared: Optional[torch.Tensor] = None):
        if infrared is None:
            raise ValueError('DualStreamResNet needs the (B,) bool mask of infrared samples: '
                             'forward(x, infrared)')
        x = route_by_modality(x, infrared.to(x.device), self.visible_stem, self.infrared_stem)
        x = self.maxpool(x)
        for name in self.res_layers:
            if name in self.lams:
                x = self.lams[name](x)
            low = x
            x = getattr(self, name)(x)
            if name == self.ifpem_stage:
                x = self.ifpem(low, x)
        return (x, )
