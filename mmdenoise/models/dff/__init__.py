"""DFF: Deep Frequency Filtering for domain-generalisable ReID and classification (paper 004;
see configs/dff/README.md)."""
from .dff_resnet import DFFBasicBlock, DFFBottleneck, DFFResNet
from .ffc import FFCConv2d, SpectralTransform, split_channels
from .frequency_filter import (DeepFrequencyFilter, InstanceChannelMask, InstanceSpatialMask,
                               TaskChannelMask, TaskSpatialMask, from_frequency, to_frequency)

__all__ = [
    'DFFResNet', 'DFFBottleneck', 'DFFBasicBlock', 'FFCConv2d', 'SpectralTransform',
    'split_channels', 'DeepFrequencyFilter', 'InstanceSpatialMask', 'InstanceChannelMask',
    'TaskSpatialMask', 'TaskChannelMask', 'to_frequency', 'from_frequency'
]
