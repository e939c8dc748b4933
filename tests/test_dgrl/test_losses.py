"""DGRL's losses against brute-force versions of the paper's equations."""
import math

import pytest
import torch

from mmdenoise.models.dgrl import FeatureAlignmentLoss, PairwiseKLDivLoss


def _brute_force_kl(logits, reduction):
    """Eq. 12: sum over ordered pairs j != i of Eq. 11, D_KL(p_j || p_i), in plain loops."""
    probs = [torch.softmax(x.double(), dim=1).tolist() for x in logits]
    m, n = logits[0].shape
    total = 0.0
    for i in range(len(probs)):
        for j in range(len(probs)):
            if i == j:
                continue
            kl = sum(probs[j][s][c] * math.log(probs[j][s][c] / probs[i][s][c])
                     for s in range(m) for c in range(n))
            total += {'sum': kl, 'batchmean': kl / m, 'mean': kl / (m * n)}[reduction]
    return total


@pytest.mark.parametrize('reduction', ['batchmean', 'sum', 'mean'])
def test_pairwise_kl_matches_eq_12(reduction):
    torch.manual_seed(0)
    logits = [torch.randn(5, 7) * 2 for _ in range(3)]
    loss = PairwiseKLDivLoss(loss_weight=1.0, reduction=reduction)(logits)
    assert loss.item() == pytest.approx(_brute_force_kl(logits, reduction), rel=1e-5)
    weighted = PairwiseKLDivLoss(loss_weight=0.5, reduction=reduction)(logits)
    assert weighted.item() == pytest.approx(0.5 * loss.item(), rel=1e-6)


def test_pairwise_kl_is_zero_for_agreeing_branches_and_not_symmetric_per_pair():
    x = torch.randn(4, 6)
    assert PairwiseKLDivLoss()([x, x.clone(), x.clone()]).abs().item() < 1e-6
    a, b = torch.randn(4, 6), torch.randn(4, 6) * 3
    # one ordered pair each way: the sum of both directions
    both = PairwiseKLDivLoss()([a, b]).item()
    assert both == pytest.approx(_brute_force_kl([a, b], 'batchmean'), rel=1e-5)


def test_pairwise_kl_gradients():
    logits = [torch.randn(3, 4, requires_grad=True) for _ in range(3)]
    PairwiseKLDivLoss()(logits).backward()
    assert all(x.grad is not None and x.grad.abs().sum() > 0 for x in logits)
    detached = [torch.randn(3, 4, requires_grad=True) for _ in range(2)]
    # with detached targets each branch only learns as the "p_i" side: still a gradient each
    PairwiseKLDivLoss(detach_target=True)(detached).backward()
    assert all(x.grad is not None for x in detached)


def test_pairwise_kl_checks_inputs():
    with pytest.raises(ValueError, match='at least two'):
        PairwiseKLDivLoss()([torch.randn(2, 3)])
    with pytest.raises(ValueError, match='one \\(M, N\\) shape'):
        PairwiseKLDivLoss()([torch.randn(2, 3), torch.randn(2, 4)])
    with pytest.raises(ValueError, match='reduction'):
        PairwiseKLDivLoss(reduction='none')


def test_feature_alignment_matches_eq_5_with_gamma():
    torch.manual_seed(0)
    f_h, f_s = torch.randn(2, 3, 4, 2) * 2, torch.randn(2, 3, 4, 2) * 2
    d = (f_h - f_s).flatten().tolist()
    assert any(abs(v) < 1 for v in d) and any(abs(v) >= 1 for v in d)  # both pieces of Eq. 5
    pieces = [0.5 * v * v if abs(v) < 1 else abs(v) - 0.5 for v in d]
    gamma = 5.0
    loss = FeatureAlignmentLoss(loss_weight=gamma)(f_h, f_s)
    assert loss.item() == pytest.approx(gamma * sum(pieces) / len(pieces), rel=1e-5)
    summed = FeatureAlignmentLoss(loss_weight=gamma, reduction='sum')(f_h, f_s)
    assert summed.item() == pytest.approx(gamma * sum(pieces), rel=1e-5)


def test_feature_alignment_checks_shapes():
    with pytest.raises(ValueError, match='differ in shape'):
        FeatureAlignmentLoss()(torch.randn(1, 2, 3, 3), torch.randn(1, 2, 3, 4))
