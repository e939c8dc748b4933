"""DGRL's shared feature embedding with the multi-layered group-aware representation (MGAR,
paper Sec. III-C, Fig. 2).

* The shared trunk is the four residual stages of an mmpretrain ResNet
  (:class:`ResNetStages`: the stem lives in the two non-shared branches).
* Non-local blocks (Wang et al., CVPR 2018) after the last blocks of stages 2 and 3, as in the
  AGW baseline (Table III, "Non-local Attention"; mmcv ``NonLocal2d``, dot-product mode, BN on
  the output projection initialised to zero).
* Side branches (DHM-style, Li and Chen, CVPR 2020): from the output of stage 2 and of stage 3,
  a branch of residual blocks of the trunk's own type runs to the end, one ``ResLayer`` per
  remaining stage with that stage's stride and width, so each branch ends with the main
  branch's channels and down-sampling rate.
* Each of the three branches (main, side from stage 2, side from stage 3) is pooled by its own
  GeM (generalized-mean, learnable ``p``; mmpretrain ``GeneralizedMeanPooling``).
"""
from typing import Dict, List, Optional, Sequence

import torch
from mmcv.cnn import NonLocal2d
from mmengine.model import BaseModule
from mmpretrain.models.backbones import ResNet
from mmpretrain.models.backbones.resnet import ResLayer
from mmpretrain.models.necks import GeneralizedMeanPooling
from torch import nn

from mmdenoise.registry import MODELS


@MODELS.register_module()
class ResNetStages(ResNet):
    """mmpretrain ``ResNet`` without its stem: ``layer1..layer4`` only (DGRL's shared trunk).

    ``forward`` takes the stem output (``stem_channels`` channels) and returns every stage's
    output. Pretrained mmpretrain / torchvision ResNet weights load with the stem keys
    (``conv1``, ``bn1``) reported as unexpected. Arguments: as ``mmpretrain.ResNet`` (the stem
    options ``deep_stem`` / ``in_channels`` are unused).
    """

    def _make_stem_layer(self, in_channels, stem_channels):
        if self.deep_stem:
            raise ValueError('ResNetStages has no stem: deep_stem is not supported')

    def _freeze_stages(self):
        for i in range(1, self.frozen_stages + 1):
            layer = getattr(self, f'layer{i}')
            layer.eval()
            for param in layer.parameters():
                param.requires_grad = False

    def stage_channels(self, stage: int) -> int:
        """Output channels of stage ``stage`` (1-based)."""
        return getattr(self, f'layer{stage}')[-1].out_channels

    def forward(self, x):
        outs = []
        for name in self.res_layers:
            x = getattr(self, name)(x)
            outs.append(x)
        return tuple(outs)


@MODELS.register_module()
class MGAREmbedding(BaseModule):
    """Shared ResNet stages + non-local blocks + side branches + GeM pooling.

    Args:
        backbone: ``mmdenoise.ResNetStages`` config (ResNet-50, last stride 1).
        side_stages: 1-based stages a side branch starts from (DGRL: 2 and 3).
        side_blocks: residual blocks per remaining stage in a side branch (paper silent: 1).
        non_local_blocks: per stage, how many of its last blocks are followed by a non-local
            block (AGW: ``(0, 2, 3, 0)``); None or zeros: no non-local block.
        non_local: ``mmcv.cnn.NonLocal2d`` arguments.
        gem: ``mmpretrain GeneralizedMeanPooling`` arguments (one pooling per branch).
    """

    def __init__(self,
                 backbone: dict,
                 side_stages: Sequence[int] = (2, 3),
                 side_blocks: int = 1,
                 non_local_blocks: Optional[Sequence[int]] = (0, 2, 3, 0),
                 non_local: Optional[dict] = None,
                 gem: Optional[dict] = None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        if not isinstance(self.backbone, ResNetStages):
            raise TypeError(f'MGAREmbedding: backbone must be mmdenoise.ResNetStages, got '
                            f'{type(self.backbone).__name__}')
        num_stages = len(self.backbone.res_layers)
        self.side_stages = tuple(int(s) for s in side_stages)
        for stage in self.side_stages:
            if not 1 <= stage < num_stages:
                raise ValueError(f'MGAREmbedding: side branch stage {stage} must be in '
                                 f'[1, {num_stages - 1}] (a side branch needs a later stage)')
        if side_blocks < 1:
            raise ValueError(f'MGAREmbedding: side_blocks must be >= 1, got {side_blocks}')
        self.non_local = self._build_non_local(non_local_blocks, non_local or {})
        self.side_branches = nn.ModuleDict({
            f'stage{stage}': self._build_side_branch(stage, side_blocks)
            for stage in self.side_stages
        })
        self.pools = nn.ModuleList(
            [GeneralizedMeanPooling(**(gem or {})) for _ in range(self.num_branches)])

    @property
    def num_branches(self) -> int:
        """Main branch + side branches."""
        return 1 + len(self.side_stages)

    @property
    def out_channels(self) -> int:
        return self.backbone.feat_dim

    def _build_non_local(self, blocks_per_stage, cfg: dict) -> nn.ModuleDict:
        modules = nn.ModuleDict()
        if not blocks_per_stage:
            return modules
        if len(blocks_per_stage) != len(self.backbone.res_layers):
            raise ValueError(f'MGAREmbedding: non_local_blocks needs one count per stage '
                             f'({len(self.backbone.res_layers)}), got {tuple(blocks_per_stage)}')
        args = dict(reduction=2, mode='dot_product', norm_cfg=dict(type='BN'))
        args.update(cfg)
        for stage, count in enumerate(blocks_per_stage, start=1):
            layer = getattr(self.backbone, f'layer{stage}')
            if not 0 <= count <= len(layer):
                raise ValueError(f'MGAREmbedding: {count} non-local blocks for stage {stage} '
                                 f'of {len(layer)} blocks')
            if count:
                channels = self.backbone.stage_channels(stage)
                modules[f'layer{stage}'] = nn.ModuleDict({
                    str(i): NonLocal2d(channels, **args)
                    for i in range(len(layer) - count, len(layer))
                })
        return modules

    def _build_side_branch(self, stage: int, num_blocks: int) -> nn.ModuleDict:
        bb = self.backbone
        layers = nn.ModuleDict()
        in_channels = bb.stage_channels(stage)
        for later in range(stage + 1, len(bb.res_layers) + 1):
            out_channels = bb.stage_channels(later)
            layers[f'layer{later}'] = ResLayer(
                block=bb.block, num_blocks=num_blocks, in_channels=in_channels,
                out_channels=out_channels, expansion=bb.expansion, stride=bb.strides[later - 1],
                dilation=bb.dilations[later - 1], style=bb.style, avg_down=bb.avg_down,
                conv_cfg=bb.conv_cfg, norm_cfg=bb.norm_cfg)
            in_channels = out_channels
        return layers

    def _run_stage(self, stage: int, x: torch.Tensor) -> torch.Tensor:
        non_local = self.non_local[f'layer{stage}'] if f'layer{stage}' in self.non_local else {}
        for i, block in enumerate(getattr(self.backbone, f'layer{stage}')):
            x = block(x)
            if str(i) in non_local:
                x = non_local[str(i)](x)
        return x

    def forward(self, x: torch.Tensor, side_branches: bool = True) -> List[torch.Tensor]:
        """Pooled ``(B, C)`` features: ``[main, side from stage s, ...]`` (main only without
        ``side_branches``)."""
        stage_outputs: Dict[int, torch.Tensor] = {}
        for stage in range(1, len(self.backbone.res_layers) + 1):
            x = self._run_stage(stage, x)
            stage_outputs[stage] = x
        maps = [x]
        if side_branches:
            for stage in self.side_stages:
                y = stage_outputs[stage]
                for layer in self.side_branches[f'stage{stage}'].values():
                    y = layer(y)
                maps.append(y)
        return [pool(m) for pool, m in zip(self.pools, maps)]
