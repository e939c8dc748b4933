"""strict_load: strict on keys and shapes, tolerant only of keys a module drops on its own load."""
import pytest
import torch
from torch import nn

from mmdenoise.apis.fuse_checkpoint import FuseCheckpointError, strict_load


class DropsBufferOnLoad(nn.Module):
    """Like mmpretrain's SwinV2 window attention: a load pre-hook deletes a buffer it rebuilds."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.register_buffer('table', torch.arange(3.0))
        self._register_load_state_dict_pre_hook(self._drop)

    @staticmethod
    def _drop(state_dict, prefix, *args):
        state_dict.pop(prefix + 'table', None)


def test_tolerates_keys_the_module_drops_itself():
    model = DropsBufferOnLoad()
    with pytest.raises(RuntimeError):  # what a plain strict load does
        model.load_state_dict(DropsBufferOnLoad().state_dict(), strict=True)
    source = DropsBufferOnLoad()
    strict_load(model, source.state_dict(), 'deploy')
    assert torch.equal(model.fc.weight, source.fc.weight)


def test_still_refuses_missing_unexpected_and_misshaped_keys():
    model = DropsBufferOnLoad()
    state = DropsBufferOnLoad().state_dict()
    with pytest.raises(FuseCheckpointError, match='fc.bias'):
        strict_load(model, {k: v for k, v in state.items() if k != 'fc.bias'}, 'deploy')
    with pytest.raises(FuseCheckpointError, match='extra'):
        strict_load(model, dict(state, extra=torch.zeros(1)), 'deploy')
    with pytest.raises(FuseCheckpointError, match='fc.weight'):
        strict_load(model, dict(state, **{'fc.weight': torch.zeros(3, 2)}), 'deploy')
