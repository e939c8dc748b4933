"""ResNet with Deep Frequency Filtering (DFF-R18 / DFF-R50 of paper 004's complexity table).

The blocks of the chosen stages are FFC-style blocks (their convolutions are two-branch
:class:`~.ffc.FFCConv2d` with DFF in the global branch); the other stages are mmpretrain's
plain blocks. Everything else (stem, strides, shortcut projections, ``out_indices``,
``frozen_stages``, ``init_cfg``) is mmpretrain's :class:`~mmpretrain.models.backbones.ResNet`.
"""
import itertools
from typing import Optional, Sequence

from mmpretrain.models.backbones import ResNet
from mmpretrain.models.backbones.resnet import BasicBlock, Bottleneck, ResLayer

from mmdenoise.registry import MODELS
from .ffc import FFCConv2d


def _ffc_conv_names(block_convs: Sequence[str], ffc_convs: Optional[Sequence[str]],
                    block: str):
    names = tuple(block_convs) if ffc_convs is None else tuple(ffc_convs)
    unknown = [n for n in names if n not in block_convs]
    if unknown or not names:
        raise ValueError(f'{block}: ffc_convs must be a non-empty subset of {block_convs}, '
                         f'got {ffc_convs}')
    return names


class DFFBottleneck(Bottleneck):
    """mmpretrain's Bottleneck whose convolutions ``ffc_convs`` are two-branch convolutions.

    ``conv1`` splits its input at ``ratio_in`` (0 when the block follows the stem or a plain
    stage, as FFC-ResNet); every output, and the input of ``conv2`` / ``conv3``, at
    ``ratio_out``. Norms, activations, the shortcut and ``zero_init_residual`` are the
    Bottleneck's.
    """

    CONVS = ('conv1', 'conv2', 'conv3')

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 ratio_in: float = 0.5,
                 ratio_out: float = 0.5,
                 ffc_convs: Optional[Sequence[str]] = None,
                 filter_cfg: Optional[dict] = None,
                 local_filter_cfg: Optional[dict] = None,
                 **kwargs):
        super().__init__(in_channels, out_channels, **kwargs)
        names = _ffc_conv_names(self.CONVS, ffc_convs, type(self).__name__)
        mid, dilation = self.mid_channels, self.dilation
        specs = dict(
            conv1=(in_channels, mid, 1, self.conv1_stride, 0, 1, ratio_in),
            conv2=(mid, mid, 3, self.conv2_stride, dilation, dilation, ratio_out),
            conv3=(mid, out_channels, 1, 1, 0, 1, ratio_out))
        for name in names:
            cin, cout, k, stride, padding, dil, r_in = specs[name]
            setattr(self, name, FFCConv2d(
                cin, cout, k, stride=stride, padding=padding, dilation=dil, ratio_in=r_in,
                ratio_out=ratio_out, filter_cfg=filter_cfg, local_filter_cfg=local_filter_cfg,
                norm_cfg=self.norm_cfg))


class DFFBasicBlock(BasicBlock):
    """mmpretrain's BasicBlock with two-branch convolutions (see :class:`DFFBottleneck`)."""

    CONVS = ('conv1', 'conv2')

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 ratio_in: float = 0.5,
                 ratio_out: float = 0.5,
                 ffc_convs: Optional[Sequence[str]] = None,
                 filter_cfg: Optional[dict] = None,
                 local_filter_cfg: Optional[dict] = None,
                 **kwargs):
        super().__init__(in_channels, out_channels, **kwargs)
        names = _ffc_conv_names(self.CONVS, ffc_convs, type(self).__name__)
        mid, dilation = self.mid_channels, self.dilation
        specs = dict(  # as BasicBlock: conv2 is never dilated
            conv1=(in_channels, mid, self.stride, dilation, ratio_in),
            conv2=(mid, out_channels, 1, 1, ratio_out))
        for name in names:
            cin, cout, stride, dil, r_in = specs[name]
            setattr(self, name, FFCConv2d(
                cin, cout, 3, stride=stride, padding=dil, dilation=dil, ratio_in=r_in,
                ratio_out=ratio_out, filter_cfg=filter_cfg, local_filter_cfg=local_filter_cfg,
                norm_cfg=self.norm_cfg))


DFF_BLOCKS = {BasicBlock: DFFBasicBlock, Bottleneck: DFFBottleneck}


@MODELS.register_module()
class DFFResNet(ResNet):
    """ResNet whose stages ``dff_stages`` are built of DFF (two-branch, FFC-style) blocks.

    Paper 004 inserts DFF into ResNet-18/50 for classification and ResNet-50 for ReID; the
    poster gives neither the stages nor the split ratio. Defaults follow FFC-ResNet (the
    poster's "SBase (FFC)"): stages 1-3 (``dff_stages=(0, 1, 2)``) at a global ratio of 0.5,
    the last stage plain (FFC-ResNet ends with ``ratio_gout=0``), every convolution of a DFF
    block two-branch.

    A plain ResNet checkpoint (e.g. mmpretrain's ImageNet ResNet-50) loads into it: each plain
    convolution weight is sliced into the ordinary branches of its two-branch convolution (see
    :class:`~.ffc.FFCConv2d`); only the spectral transforms (and their DFF masks) start from
    their initialisation.

    Args:
        depth: 18, 34, 50, 101 or 152.
        dff_stages: 0-based indices of the stages made of DFF blocks.
        global_ratio: fraction of the channels in the global (frequency) branch.
        ffc_convs: which convolutions of a DFF block are two-branch (default all:
            ``conv1, conv2, conv3`` of a Bottleneck, ``conv1, conv2`` of a BasicBlock).
        filter_cfg: :class:`~.frequency_filter.DeepFrequencyFilter` options of every
            spectral transform, e.g. ``dict(domain='spatial')`` (Ori-F in f_g),
            ``dict(adaptivity='task')``, ``dict(attention='channel')``,
            ``dict(adaptivity=None)`` (plain FFC).
        local_filter_cfg: options of an original-domain filter in every local branch
            (Ori-F in f_l); None for none.
        **kwargs: :class:`mmpretrain.models.backbones.ResNet` arguments.
    """

    def __init__(self,
                 depth: int,
                 dff_stages: Sequence[int] = (0, 1, 2),
                 global_ratio: float = 0.5,
                 ffc_convs: Optional[Sequence[str]] = None,
                 filter_cfg: Optional[dict] = None,
                 local_filter_cfg: Optional[dict] = None,
                 **kwargs):
        num_stages = kwargs.get('num_stages', 4)
        stages = tuple(sorted(set(int(s) for s in dff_stages)))
        if any(not 0 <= s < num_stages for s in stages):
            raise ValueError(f'DFFResNet: dff_stages must be stage indices in '
                             f'[0, {num_stages}), got {tuple(dff_stages)}')
        if not 0.0 < global_ratio < 1.0:
            raise ValueError(f'DFFResNet: global_ratio must be in (0, 1), got {global_ratio}')
        # read by make_res_layer, which ResNet.__init__ calls
        self.dff_stages = stages
        self.global_ratio = float(global_ratio)
        self.dff_block_cfg = dict(ffc_convs=ffc_convs, filter_cfg=filter_cfg,
                                  local_filter_cfg=local_filter_cfg)
        super().__init__(depth, **kwargs)

    def make_res_layer(self, block, **kwargs):
        stage = len(self.res_layers)  # ResNet.__init__ appends the name after this call
        if stage not in self.dff_stages:
            return ResLayer(block=block, **kwargs)
        if block not in DFF_BLOCKS:
            raise TypeError(f'DFFResNet: no DFF version of {block.__name__}')
        dff_block, ratio = DFF_BLOCKS[block], self.global_ratio
        # FFC-ResNet: a DFF stage after the stem or a plain stage starts its global stream in
        # its first block (input ratio 0)
        first_ratio_in = ratio if stage - 1 in self.dff_stages else 0.0
        index = itertools.count()

        def build_block(**block_kwargs):
            ratio_in = first_ratio_in if next(index) == 0 else ratio
            return dff_block(ratio_in=ratio_in, ratio_out=ratio, **self.dff_block_cfg,
                             **block_kwargs)

        return ResLayer(block=build_block, **kwargs)
