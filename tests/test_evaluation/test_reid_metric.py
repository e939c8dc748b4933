"""ReIDMetric and the ranking core against brute-force references."""
import numpy as np
import pytest
import torch

from mmdenoise.evaluation import ReIDMetric
from mmdenoise.evaluation.functional import (PROTOCOLS, KReciprocalReranker, pairwise_distance,
                                             rank_queries, summarize)
from mmdenoise.registry import METRICS
from reid_reference import reference_ranking, reference_rerank

TOPK = (1, 2, 5, 10)


def random_problem(seed, num_query=40, num_gallery=120, num_ids=12, num_cams=3, dim=3,
                   levels=3):
    """Integer features (exact distances, many ties), junk and unmatched queries."""
    rng = np.random.default_rng(seed)
    q_feat = rng.integers(0, levels, (num_query, dim)).astype(np.float64)
    g_feat = rng.integers(0, levels, (num_gallery, dim)).astype(np.float64)
    q_pids = rng.integers(0, num_ids + 3, num_query)  # ids >= num_ids have no gallery image
    g_pids = rng.integers(0, num_ids, num_gallery)
    g_pids[rng.random(num_gallery) < 0.1] = -1  # junk
    q_cams = rng.integers(0, num_cams, num_query)
    g_cams = rng.integers(0, num_cams, num_gallery)
    return q_feat, g_feat, q_pids, q_cams, g_pids, g_cams


def squared_euclidean(q, g):
    return ((q[:, None, :] - g[None, :, :])**2).sum(-1)


def run_core(q_feat, g_feat, q_pids, q_cams, g_pids, g_cams, protocol, chunk_size, dtype,
             q_imgs=None, g_imgs=None):
    keep = g_pids != -1
    q = torch.tensor(q_feat, dtype=dtype)
    g = torch.tensor(g_feat[keep], dtype=dtype)
    t = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.long)  # noqa: E731
    per_query = rank_queries(
        lambda s, e: pairwise_distance(q[s:e], g, 'euclidean'), t(q_pids), t(q_cams),
        t(g_pids[keep]), t(g_cams[keep]),
        None if q_imgs is None else t(q_imgs), None if g_imgs is None else t(g_imgs[keep]),
        protocol=protocol, chunk_size=chunk_size)
    return summarize(per_query, TOPK)


def assert_same(result, expected):
    assert result['num_valid_queries'] == expected['num_valid_queries']
    for key in ['mAP', 'mINP'] + [f'R{k}' for k in TOPK]:
        assert result[key] == pytest.approx(expected[key], abs=1e-6), key


@pytest.mark.parametrize('seed', [0, 1, 2])
@pytest.mark.parametrize('chunk_size', [1, 7, 1000])
def test_market_protocol_matches_bruteforce_with_ties(seed, chunk_size):
    q_feat, g_feat, q_pids, q_cams, g_pids, g_cams = random_problem(seed)
    dist = squared_euclidean(q_feat, g_feat)
    # the problem really has ties between matches and non-matches, and unmatched queries
    assert len(np.unique(dist)) < dist.size / 10
    expected = reference_ranking(dist, q_pids, q_cams, g_pids, g_cams, topk=TOPK)
    assert expected['num_valid_queries'] < len(q_pids)
    for dtype in (torch.float32, torch.float64):
        result = run_core(q_feat, g_feat, q_pids, q_cams, g_pids, g_cams, PROTOCOLS['market'],
                          chunk_size, dtype)
        assert_same(result, expected)


@pytest.mark.parametrize('seed', [3, 4])
def test_continuous_features_and_same_camera_positives(seed):
    """Without ties (fast path only); same-camera positives must be ignored, other-camera
    positives counted."""
    rng = np.random.default_rng(seed)
    q_feat, g_feat = rng.normal(size=(30, 8)), rng.normal(size=(90, 8))
    q_pids, g_pids = rng.integers(0, 8, 30), rng.integers(0, 8, 90)
    q_cams, g_cams = rng.integers(0, 2, 30), rng.integers(0, 2, 90)
    dist = squared_euclidean(q_feat, g_feat)
    expected = reference_ranking(dist, q_pids, q_cams, g_pids, g_cams, topk=TOPK)
    result = run_core(q_feat, g_feat, q_pids, q_cams, g_pids, g_cams, PROTOCOLS['market'], 16,
                      torch.float64)
    assert_same(result, expected)
    # keeping same-camera positives changes the answer (the rule is really applied)
    loose = reference_ranking(dist, q_pids, q_cams, g_pids, g_cams, exclude_same_camera=False,
                              topk=TOPK)
    assert loose['mAP'] != pytest.approx(expected['mAP'])
    assert_same(
        run_core(q_feat, g_feat, q_pids, q_cams, g_pids, g_cams, PROTOCOLS['regdb'], 16,
                 torch.float64), loose)


@pytest.mark.parametrize('seed', [5, 6])
def test_sysu_protocol_matches_bruteforce(seed):
    """Camera-2 gallery hidden from camera-3 queries (camids 1 and 2), no same-camera
    removal, CMC over distinct gallery identities."""
    q_feat, g_feat, q_pids, q_cams, g_pids, g_cams = random_problem(
        seed, num_cams=6, num_ids=10)
    dist = squared_euclidean(q_feat, g_feat)
    expected = reference_ranking(dist, q_pids, q_cams, g_pids, g_cams, exclude_same_camera=False,
                                 excluded_camera_pairs={(2, 1)}, dedup=True, topk=TOPK)
    for chunk in (3, 64):
        result = run_core(q_feat, g_feat, q_pids, q_cams, g_pids, g_cams, PROTOCOLS['sysu'],
                          chunk, torch.float64)
        assert_same(result, expected)
    no_dedup = reference_ranking(dist, q_pids, q_cams, g_pids, g_cams, exclude_same_camera=False,
                                 excluded_camera_pairs={(2, 1)}, topk=TOPK)
    assert no_dedup['R1'] <= expected['R1']
    assert no_dedup['R5'] < expected['R5']


def test_same_image_is_dropped_when_cameras_are_unknown():
    q_feat = np.array([[0.], [5.]])
    g_feat = np.array([[0.], [5.], [1.], [6.]])
    q_pids, g_pids = np.array([1, 2]), np.array([1, 2, 1, 2])
    cams_q, cams_g = np.full(2, -1), np.full(4, -1)
    q_imgs, g_imgs = np.array([0, 1]), np.array([0, 1, 2, 3])  # gallery 0, 1 = the queries
    result = run_core(q_feat, g_feat, q_pids, cams_q, g_pids, cams_g, PROTOCOLS['market'], 4,
                      torch.float64, q_imgs, g_imgs)
    assert result['mAP'] == pytest.approx(1.0)
    # the query images themselves are gone: the match at distance 1 is ranked first
    dist = squared_euclidean(q_feat, g_feat)
    expected = reference_ranking(dist, q_pids, cams_q, g_pids, cams_g, q_imgs=q_imgs,
                                 g_imgs=g_imgs, topk=TOPK)
    assert_same(result, expected)


def test_chunked_equals_unchunked_exactly():
    q_feat, g_feat, q_pids, q_cams, g_pids, g_cams = random_problem(7, 64, 200)
    results = [
        run_core(q_feat, g_feat, q_pids, q_cams, g_pids, g_cams, PROTOCOLS['market'], c,
                 torch.float32) for c in (1, 5, 64, 10**6)
    ]
    assert all(r == results[0] for r in results[1:])


def samples_from(q_feat, g_feat, q_pids, q_cams, g_pids, g_cams, trial=None):
    samples = []
    for split, feats, pids, cams in (('query', q_feat, q_pids, q_cams),
                                     ('gallery', g_feat, g_pids, g_cams)):
        for i, (f, p, c) in enumerate(zip(feats, pids, cams)):
            sample = dict(pred_feature=torch.tensor(f, dtype=torch.float32),
                          gt_label=torch.tensor([int(p)]), pid=int(p), camid=int(c),
                          split=split, img_path=f'{split}/{trial}/{i}.jpg')
            if trial is not None:
                sample['trial'] = trial
            samples.append(sample)
    return samples


def test_metric_end_to_end_cosine_and_registry():
    rng = np.random.default_rng(11)
    q_feat, g_feat = rng.normal(size=(25, 16)), rng.normal(size=(80, 16))
    q_pids, g_pids = rng.integers(0, 10, 25), rng.integers(0, 10, 80)
    q_cams, g_cams = rng.integers(0, 3, 25), rng.integers(0, 3, 80)
    metric = METRICS.build(dict(type='ReIDMetric', distance='cosine', topk=TOPK, chunk_size=8))
    assert isinstance(metric, ReIDMetric)
    samples = samples_from(q_feat, g_feat, q_pids, q_cams, g_pids, g_cams)
    metric.process({}, samples[:30])
    metric.process({}, samples[30:])
    result = metric.evaluate(len(samples))
    qn = q_feat / np.linalg.norm(q_feat, axis=1, keepdims=True)
    gn = g_feat / np.linalg.norm(g_feat, axis=1, keepdims=True)
    expected = reference_ranking(1 - qn @ gn.T, q_pids, q_cams, g_pids, g_cams, topk=TOPK)
    assert result['reid/mAP'] == pytest.approx(expected['mAP'] * 100, abs=1e-3)
    assert result['reid/R1'] == pytest.approx(expected['R1'] * 100, abs=1e-6)
    assert result['reid/mINP'] == pytest.approx(expected['mINP'] * 100, abs=1e-3)


def test_metric_reads_datasample_and_flip_average():
    from mmpretrain.structures import DataSample
    metric = ReIDMetric(distance='euclidean', dtype='float64')
    feats = {('query', 0): [0., 0.], ('gallery', 0): [1., 0.], ('gallery', 1): [0., 3.]}
    for (split, pid), f in feats.items():
        s = DataSample().set_gt_label(pid)
        s.set_field(torch.tensor(f), 'pred_feature')
        s.set_field(split, 'split', field_type='metainfo')
        s.set_field(0 if split == 'query' else 1, 'camid', field_type='metainfo')
        if split == 'query':  # flip feature pulls the query towards pid 1
            s.set_field(torch.tensor([0., 6.]), 'pred_feature_flip')
        metric.process({}, [s])
    assert metric.results[0]['feature'].tolist() == [0., 3.]
    assert metric.results[0]['pid'] == 0
    result = metric.evaluate(3)
    assert result['reid/R1'] == 0.0
    assert result['reid/mAP'] == pytest.approx(50.0)


def test_metric_multi_trial_average():
    """Per-trial evaluation (queries shared by all trials carry trial -1), then the mean."""
    q_feat, _, q_pids, q_cams, _, _ = random_problem(20, 15, 40)
    metric = ReIDMetric(distance='euclidean', topk=TOPK, dtype='float64')
    shared_queries = samples_from(q_feat, np.zeros((0, 3)), q_pids, q_cams, [], [], trial=-1)
    metric.process({}, shared_queries)
    expected = []
    for t in range(3):
        _, g_feat, _, _, g_pids, g_cams = random_problem(21 + t, 15, 40)
        metric.process({}, samples_from(np.zeros((0, 3)), g_feat, [], [], g_pids, g_cams,
                                        trial=t))
        expected.append(
            reference_ranking(squared_euclidean(q_feat, g_feat), q_pids, q_cams, g_pids, g_cams,
                              topk=TOPK))
    result = metric.evaluate(len(metric.results))
    assert result['reid/num_trials'] == 3
    for key in ('mAP', 'R1', 'R5', 'mINP'):
        assert result[f'reid/{key}'] == pytest.approx(
            100 * np.mean([e[key] for e in expected]), abs=1e-6)
    # the trials really differ, so a single-trial answer would not pass
    assert len({round(e['mAP'], 9) for e in expected}) == 3


def test_metric_errors_on_bad_samples():
    metric = ReIDMetric()
    with pytest.raises(KeyError, match='pred_feature'):
        metric.process({}, [dict(pid=1, camid=0, split='query')])
    with pytest.raises(KeyError, match='split'):
        metric.process({}, [dict(pred_feature=torch.ones(2), pid=1, camid=0, split='probe')])
    with pytest.raises(ValueError, match='protocol'):
        ReIDMetric(protocol='unknown')


def test_rerank_matches_dense_reference():
    rng = np.random.default_rng(13)
    q, g = rng.normal(size=(12, 6)), rng.normal(size=(40, 6))
    feats = np.concatenate([q, g])
    dense = reference_rerank(squared_euclidean(feats, feats), 12, k1=6, k2=3, lambda_value=0.3)
    reranker = KReciprocalReranker(torch.tensor(q), torch.tensor(g), 'euclidean', k1=6, k2=3,
                                   lambda_value=0.3, chunk_size=5)
    ours = torch.cat([reranker(s, min(s + 5, 12)) for s in range(0, 12, 5)]).numpy()
    np.testing.assert_allclose(ours, dense, atol=1e-9)
    # re-ranking really changes the distances
    assert np.abs(dense - squared_euclidean(q, g)).max() > 0.1


def test_rerank_through_metric_and_without_query_expansion():
    rng = np.random.default_rng(14)
    q_feat, g_feat = rng.normal(size=(10, 5)), rng.normal(size=(30, 5))
    q_pids, g_pids = rng.integers(0, 5, 10), rng.integers(0, 5, 30)
    q_cams, g_cams = np.zeros(10, int), np.ones(30, int)
    feats = np.concatenate([q_feat, g_feat])
    for k2 in (1, 4):
        dense = reference_rerank(squared_euclidean(feats, feats), 10, k1=5, k2=k2)
        expected = reference_ranking(dense, q_pids, q_cams, g_pids, g_cams, topk=TOPK)
        metric = ReIDMetric(distance='euclidean', dtype='float64', topk=TOPK, chunk_size=4,
                            rerank=dict(k1=5, k2=k2))
        metric.process({}, samples_from(q_feat, g_feat, q_pids, q_cams, g_pids, g_cams))
        result = metric.evaluate(len(metric.results))
        assert result['reid/mAP'] == pytest.approx(expected['mAP'] * 100, abs=1e-4)
        assert result['reid/R1'] == pytest.approx(expected['R1'] * 100, abs=1e-6)


def test_rerank_splits_large_joins_without_changing_the_result():
    rng = np.random.default_rng(15)
    q, g = torch.tensor(rng.normal(size=(9, 4))), torch.tensor(rng.normal(size=(25, 4)))
    reranker = KReciprocalReranker(q, g, 'cosine', k1=5, k2=2)
    whole = reranker(0, 9)
    reranker.max_pairs = 1  # forces recursive halving down to single queries
    assert torch.equal(reranker(0, 9), whole)
