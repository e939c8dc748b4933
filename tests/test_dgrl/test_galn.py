"""The group-aware learning network (paper 003 Sec. III-C, Fig. 4; GroupFace)."""
import pytest
import torch

from mmdenoise.models.dgrl import GroupAwareLearningNetwork


@pytest.fixture
def galn():
    torch.manual_seed(0)
    net = GroupAwareLearningNetwork(in_channels=12, embed_dims=6, num_groups=5, gdn_hidden=7)
    for bn in (net.group_bn, net.instance_fc[1], net.group_decision[0][1]):
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    return net.eval()


def test_group_probabilities_sum_to_one(galn):
    out = galn.forward_all(torch.randn(4, 12) * 3)
    probs = out['group_probs']
    assert probs.shape == (4, 5)
    assert (probs >= 0).all()
    torch.testing.assert_close(probs.sum(1), torch.ones(4))
    assert probs.std(1).min() > 0  # a real distribution over the groups, not uniform


def test_final_representation_is_instance_plus_weighted_groups(galn):
    x = torch.randn(3, 12)
    out = galn.forward_all(x)
    assert out['groups'].shape == (3, 5, 6) and out['feature'].shape == (3, 6)
    expected = out['instance'].clone()
    for k in range(5):
        expected += out['group_probs'][:, k:k + 1] * out['groups'][:, k]
    torch.testing.assert_close(out['feature'], expected)
    torch.testing.assert_close(galn(x), expected)


def test_packed_group_fc_equals_k_parallel_fcs(galn):
    """The K group FCs (Linear -> BN -> PReLU each) as one Linear(in, K * d)."""
    x = torch.randn(3, 12)
    groups = galn.group_representations(x)
    d = 6
    for k in range(5):
        rows = slice(k * d, (k + 1) * d)
        y = x @ galn.group_fc.weight[rows].t() + galn.group_fc.bias[rows]
        bn = galn.group_bn
        y = (y - bn.running_mean[rows]) / torch.sqrt(bn.running_var[rows] + bn.eps)
        y = y * bn.weight[rows] + bn.bias[rows]
        slope = galn.group_act.weight[k]
        y = torch.where(y >= 0, y, slope * y)
        torch.testing.assert_close(groups[:, k], y)


def test_galn_checks_input():
    net = GroupAwareLearningNetwork(in_channels=4, embed_dims=2, num_groups=2, gdn_hidden=2)
    with pytest.raises(ValueError, match='pooled features'):
        net(torch.randn(2, 4, 1, 1))
