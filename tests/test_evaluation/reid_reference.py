"""Brute-force reference implementations written straight from the definitions (slow, dense,
for tiny problems only)."""
import numpy as np


def reference_ranking(dist, q_pids, q_cams, g_pids, g_cams, *, exclude_same_camera=True,
                      excluded_camera_pairs=(), dedup=False, junk_pids=(-1, ), q_imgs=None,
                      g_imgs=None, topk=(1, 5, 10)):
    """mAP / CMC / mINP by sorting each query's valid gallery items (ties: gallery order)."""
    aps, firsts, inps = [], [], []
    for i in range(len(q_pids)):
        kept = []
        for j in range(len(g_pids)):
            if g_pids[j] in junk_pids:
                continue
            same_pid = g_pids[j] == q_pids[i]
            if exclude_same_camera and same_pid and q_cams[i] >= 0 and g_cams[j] == q_cams[i]:
                continue
            if (q_cams[i], g_cams[j]) in excluded_camera_pairs:
                continue
            if q_imgs is not None and same_pid and q_imgs[i] == g_imgs[j]:
                continue
            kept.append(j)
        ranked = sorted(kept, key=lambda j: (dist[i, j], j))
        hit_ranks = [r + 1 for r, j in enumerate(ranked) if g_pids[j] == q_pids[i]]
        if not hit_ranks:
            continue  # no valid match: excluded from the means
        precisions = [(n + 1) / r for n, r in enumerate(hit_ranks)]
        aps.append(sum(precisions) / len(precisions))
        inps.append(len(hit_ranks) / hit_ranks[-1])
        if dedup:
            distinct = []
            for j in ranked:
                if g_pids[j] not in distinct:
                    distinct.append(g_pids[j])
            firsts.append(distinct.index(q_pids[i]) + 1)
        else:
            firsts.append(hit_ranks[0])
    result = dict(mAP=float(np.mean(aps)), mINP=float(np.mean(inps)),
                  num_valid_queries=len(aps))
    for k in topk:
        result[f'R{k}'] = float(np.mean([f <= k for f in firsts]))
    return result


def reference_rerank(dist_all, num_query, k1=20, k2=6, lambda_value=0.3):
    """k-reciprocal re-ranking (Zhong et al., CVPR 2017) on a dense all-to-all distance
    matrix, following the paper's steps literally."""
    n = len(dist_all)
    d = dist_all / dist_all.max(axis=1, keepdims=True)
    rank = np.argsort(d, axis=1, kind='stable')

    def reciprocal(i, k):
        return [c for c in rank[i, :k + 1] if i in rank[c, :k + 1]]

    v = np.zeros((n, n))
    half = int(round(k1 / 2))
    for i in range(n):
        r = reciprocal(i, k1)
        expansion = set(r)
        for c in r:
            h = reciprocal(c, half)
            if len(set(h) & set(r)) > 2 / 3 * len(h):
                expansion |= set(h)
        cols = sorted(expansion)
        w = np.exp(-d[i, cols])
        v[i, cols] = w / w.sum()
    if k2 > 1:
        v = np.stack([v[rank[i, :k2]].mean(0) for i in range(n)])
    jaccard = np.zeros((num_query, n - num_query))
    for i in range(num_query):
        for j in range(n - num_query):
            s = np.minimum(v[i], v[num_query + j]).sum()
            jaccard[i, j] = 1 - s / (2 - s)
    return (1 - lambda_value) * jaccard + lambda_value * d[:num_query, num_query:]
