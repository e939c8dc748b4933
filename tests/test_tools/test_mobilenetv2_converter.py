"""The deep-sort MobileNetV2 key converter maps the source layout onto mmpretrain's exactly."""
import pytest
import torch
from torch import nn

from mmdenoise.apis.mobilenetv2_converter import convert_key, convert_state_dict


def deep_sort_layout():
    """The source architecture's layout, rebuilt from its definition (torchvision-style)."""
    def conv_bn(cin, cout, k, stride, groups=1, act=True):
        layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
                  nn.BatchNorm2d(cout)]
        return layers + ([nn.ReLU6()] if act else [])

    features = [nn.Sequential(*conv_bn(3, 32, 3, 2))]
    cin = 32
    for t, c, n, s in [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2],
                       [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]:
        for i in range(n):
            hidden = cin * t
            layers = [] if t == 1 else conv_bn(cin, hidden, 1, 1)
            layers += conv_bn(hidden, hidden, 3, s if i == 0 else 1, groups=hidden)
            layers += conv_bn(hidden, c, 1, 1, act=False)
            block = nn.Module()
            block.conv = nn.Sequential(*layers)
            features.append(block)
            cin = c
    features.append(nn.Sequential(*conv_bn(320, 1280, 1, 1)))
    model = nn.Module()
    model.features = nn.Sequential(*features)
    return model


def test_conversion_loads_strictly_with_identical_tensors():
    from mmpretrain.models import MobileNetV2
    source = deep_sort_layout().state_dict()
    torch.manual_seed(0)
    source = {k: torch.randn(v.shape) if v.is_floating_point() else v for k, v in source.items()}
    converted = convert_state_dict(source, prefix='')
    target = MobileNetV2(widen_factor=1.0, out_indices=(7, ))
    target.load_state_dict(converted, strict=True)
    for key, value in source.items():
        assert torch.equal(target.state_dict()[convert_key(key)], value)
    assert convert_key('features.2.conv.3.weight') == 'layer2.0.conv.1.conv.weight'
    assert convert_key('features.17.conv.7.running_var') == 'layer7.0.conv.2.bn.running_var'
    assert next(iter(convert_state_dict({'features.0.0.weight': torch.zeros(1)}))) == \
        'backbone.conv1.conv.weight'


def test_unknown_keys_are_named():
    with pytest.raises(KeyError, match='classifier.weight'):
        convert_key('classifier.weight')
    with pytest.raises(KeyError, match='activation'):
        convert_key('features.3.conv.2.weight')
