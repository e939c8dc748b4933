"""The residual Restormer block (paper 003 Sec. III-B.2, Eqs. 1-4)."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmdenoise.models.dgrl import MDTA, ResidualRestormerBlock, RestormerBlock


def _brute_force_mdta(mdta: MDTA, x: torch.Tensor) -> torch.Tensor:
    """Eq. 2 head by head: Attention = V . softmax(K . Q / alpha) on the (C/heads, HW) maps."""
    b, c, h, w = x.shape
    heads, ch = mdta.num_heads, c // mdta.num_heads
    qkv = mdta.qkv_dwconv(mdta.qkv(x))
    q, k, v = qkv[:, :c], qkv[:, c:2 * c], qkv[:, 2 * c:]
    out = torch.zeros(b, c, h * w)
    for n in range(b):
        for head in range(heads):
            rows = slice(head * ch, (head + 1) * ch)
            qh = q[n, rows].reshape(ch, h * w)
            kh = k[n, rows].reshape(ch, h * w)
            vh = v[n, rows].reshape(ch, h * w)
            qh = qh / qh.norm(dim=1, keepdim=True)
            kh = kh / kh.norm(dim=1, keepdim=True)
            attn = torch.softmax(qh @ kh.t() * mdta.temperature[head, 0, 0], dim=1)
            out[n, rows] = attn @ vh
    return mdta.project_out(out.reshape(b, c, h, w))


def test_mdta_attention_is_channel_wise_per_head():
    torch.manual_seed(0)
    mdta = MDTA(16, num_heads=4)
    with torch.no_grad():
        mdta.temperature.copy_(torch.tensor([0.5, 1.0, 2.0, 3.0]).view(4, 1, 1))
    for height, width in ((8, 4), (5, 7)):
        x = torch.randn(2, 16, height, width)
        q, k, _ = mdta.qkv_heads(x)
        assert q.shape == (2, 4, 4, height * width)
        attn = mdta.attention_map(q, k)
        # (C / heads) x (C / heads) per head, whatever the spatial size
        assert attn.shape == (2, 4, 4, 4)
        torch.testing.assert_close(attn.sum(-1), torch.ones(2, 4, 4))
        torch.testing.assert_close(mdta(x), _brute_force_mdta(mdta, x), rtol=1e-5, atol=1e-5)


def test_mdta_checks_heads():
    with pytest.raises(ValueError, match='divisible by num_heads'):
        MDTA(10, num_heads=4)


def _zero_output_projections(block: RestormerBlock):
    nn.init.zeros_(block.attn.project_out.weight)
    nn.init.zeros_(block.ffn.project_out.weight)


def test_restormer_block_is_residual():
    torch.manual_seed(0)
    block = RestormerBlock(8, num_heads=4)
    x = torch.randn(2, 8, 6, 4)
    assert not torch.allclose(block(x), x)
    _zero_output_projections(block)
    # Eq. 4: with both output projections zero, MDTA and GDFN add nothing
    torch.testing.assert_close(block(x), x, rtol=0, atol=0)


@pytest.mark.parametrize('outer_residual, factor', [(True, 2.0), (False, 1.0)])
def test_residual_restormer_block(outer_residual, factor):
    torch.manual_seed(0)
    res = ResidualRestormerBlock(8, num_heads=4, outer_residual=outer_residual)
    x = torch.randn(2, 8, 6, 4)
    expected = x + res.blocks(x) if outer_residual else res.blocks(x)
    torch.testing.assert_close(res(x), expected)
    for block in res.blocks:
        _zero_output_projections(block)
    # the paper adds the block's input to its output: x + x with an identity block
    torch.testing.assert_close(res(x), factor * x, rtol=0, atol=0)


def test_gdfn_gating():
    torch.manual_seed(0)
    block = RestormerBlock(8, num_heads=2, ffn_expansion=2.0)
    ffn = block.ffn
    assert ffn.project_in.out_channels == 32 and ffn.project_out.in_channels == 16
    x = torch.randn(1, 8, 4, 4)
    hidden = ffn.dwconv(ffn.project_in(x))
    expected = ffn.project_out(F.gelu(hidden[:, :16]) * hidden[:, 16:])  # Eq. 3
    torch.testing.assert_close(ffn(x), expected)
