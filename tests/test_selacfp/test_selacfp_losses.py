"""Hetero-center triplet and orthogonal losses against brute-force versions of their
definitions."""
import itertools

import pytest
import torch

from mmdenoise.models.selacfp import HeteroCenterTripletLoss, OrthogonalLoss


def brute_force_hetero_center(features, labels, infrared, margin):
    """Liu et al. 2020: every (identity, modality) center is an anchor; positive = the same
    identity's center of the other modality; negative = nearest center of another identity."""
    centers = {}
    for label, ir in set(zip(labels.tolist(), infrared.tolist())):
        rows = [i for i in range(len(labels))
                if labels[i] == label and bool(infrared[i]) == ir]
        centers[(label, ir)] = features[rows].mean(0)
    terms = []
    for (label, ir), center in centers.items():
        if (label, not ir) not in centers:
            continue
        negatives = [torch.dist(center, other) for (l2, _), other in centers.items()
                     if l2 != label]
        if not negatives:
            continue
        positive = torch.dist(center, centers[(label, not ir)])
        terms.append(torch.clamp(positive - min(negatives) + margin, min=0))
    return torch.stack(terms).mean()


def _sampler_batch(num_ids=3, per_modality=4, dim=8, seed=0):
    """CrossModalityIdentitySampler layout: [visible P*K | infrared P*K], same identity order."""
    torch.manual_seed(seed)
    labels = torch.arange(num_ids).repeat_interleave(per_modality).repeat(2)
    infrared = torch.arange(2 * num_ids * per_modality) >= num_ids * per_modality
    features = torch.randn(len(labels), dim) + 0.2 * labels[:, None].float()
    return features, labels, infrared


@pytest.mark.parametrize('margin', [0.3, 5.0])
def test_hetero_center_triplet_matches_brute_force(margin):
    features, labels, infrared = _sampler_batch()
    loss = HeteroCenterTripletLoss(margin=margin)(features, labels, infrared)
    torch.testing.assert_close(loss, brute_force_hetero_center(features, labels, infrared,
                                                               margin))
    assert loss > 0


def test_hetero_center_triplet_ignores_batch_order_and_weights():
    features, labels, infrared = _sampler_batch(seed=1)
    loss = HeteroCenterTripletLoss(margin=5.0, loss_weight=2.0)
    perm = torch.randperm(len(labels))
    torch.testing.assert_close(loss(features[perm], labels[perm], infrared[perm]),
                               loss(features, labels, infrared))
    torch.testing.assert_close(
        loss(features, labels, infrared),
        2.0 * brute_force_hetero_center(features, labels, infrared, 5.0))


def test_identity_seen_in_one_modality_is_a_negative_only():
    features, labels, infrared = _sampler_batch(num_ids=3)
    keep = ~((labels == 2) & infrared)  # identity 2 has visible images only
    features, labels, infrared = features[keep], labels[keep], infrared[keep]
    loss = HeteroCenterTripletLoss(margin=5.0)(features, labels, infrared)
    torch.testing.assert_close(loss, brute_force_hetero_center(features, labels, infrared, 5.0))
    # a single identity has no negative: zero loss that still backpropagates
    one = labels == 0
    feats = features[one].clone().requires_grad_()
    zero = HeteroCenterTripletLoss()(feats, labels[one], infrared[one])
    zero.backward()
    assert zero.item() == 0 and feats.grad is not None


def test_hetero_center_triplet_rejects_bad_shapes():
    features, labels, infrared = _sampler_batch()
    with pytest.raises(ValueError, match='infrared'):
        HeteroCenterTripletLoss()(features, labels, infrared[:-1])


def brute_force_orthogonal(a, b, mode):
    n, ca = a.shape
    cb = b.shape[1]
    a_hat = [a[i] / a[i].norm() for i in range(n)]
    b_hat = [b[i] / b[i].norm() for i in range(n)]
    if mode == 'cosine':
        return sum(float(a_hat[i] @ b_hat[i])**2 for i in range(n)) / n
    total = 0.0
    for j, k in itertools.product(range(ca), range(cb)):
        total += sum(float(a_hat[i][j] * b_hat[i][k]) for i in range(n))**2
    return total / n**2


@pytest.mark.parametrize('mode,widths', [('cosine', (6, 6)), ('frobenius', (6, 4))])
def test_orthogonal_loss_matches_brute_force(mode, widths):
    torch.manual_seed(0)
    a, b = torch.randn(5, widths[0]), torch.randn(5, widths[1])
    loss = OrthogonalLoss(mode=mode, loss_weight=0.5)(a, b)
    assert loss.item() == pytest.approx(0.5 * brute_force_orthogonal(a, b, mode), rel=1e-5)


def test_orthogonal_loss_is_zero_for_orthogonal_features():
    # cosine: every sample's two features are orthogonal (disjoint supports)
    a, b = torch.zeros(4, 6), torch.zeros(4, 6)
    a[:, :3], b[:, 3:] = torch.randn(4, 3), torch.randn(4, 3)
    assert OrthogonalLoss('cosine')(a, b).item() == pytest.approx(0.0, abs=1e-12)
    assert OrthogonalLoss('cosine')(a, a).item() == pytest.approx(1.0)
    # frobenius: A^T B = 0 (two samples with the same a and opposite b)
    x, y = torch.randn(1, 6), torch.randn(1, 4)
    a, b = torch.cat([x, x]), torch.cat([y, -y])
    assert OrthogonalLoss('frobenius')(a, b).item() == pytest.approx(0.0, abs=1e-12)
    assert OrthogonalLoss('frobenius')(a, torch.cat([y, y])).item() > 0.5


def test_orthogonal_loss_errors():
    with pytest.raises(ValueError, match='mode must be one of'):
        OrthogonalLoss(mode='l1')
    with pytest.raises(ValueError, match='needs equal widths'):
        OrthogonalLoss()(torch.randn(3, 4), torch.randn(3, 5))
    with pytest.raises(ValueError, match='same samples'):
        OrthogonalLoss()(torch.randn(3, 4), torch.randn(2, 4))
