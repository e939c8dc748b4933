"""Fixtures of the DGRL tests."""
import pytest
import torch

from mmdenoise.registry import MODELS
from dgrl_test_utils import TINY_RCAN


@pytest.fixture
def rcan_weights(tmp_path):
    """A tiny RCAN x2 state dict saved as the authors release theirs (with the fixed mean-shift
    keys that the model keeps as a buffer); returns ``(path, state_dict)``."""
    torch.manual_seed(1)
    net = MODELS.build(TINY_RCAN)
    state = dict(net.state_dict())
    release = dict(state)
    release['sub_mean.weight'] = torch.eye(3).view(3, 3, 1, 1)
    release['add_mean.bias'] = torch.zeros(3)
    path = tmp_path / 'rcan_x2.pth'
    torch.save(release, path)
    return str(path), state
