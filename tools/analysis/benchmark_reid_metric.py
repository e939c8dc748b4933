"""Time and memory of ReIDMetric on an MSMT17-sized problem (random features).

Default problem: 11,659 queries x 82,161 gallery images (MSMT17's test set), 768-d features,
15 cameras, 3,060 test identities, camera and identity ids drawn like MSMT17's (every query
identity is in the gallery). Prints the wall time of ``compute_metrics`` and the peak resident
memory of the process (``resource.getrusage``), which includes the features themselves, and
the CPU time (a better measure than wall time on a shared machine).

Example::

    python tools/analysis/benchmark_reid_metric.py
    python tools/analysis/benchmark_reid_metric.py --device cuda --chunk-size 1024
"""
import argparse
import os
import resource
import sys
import time

import numpy as np
import torch

from mmdenoise.evaluation import ReIDMetric


def parse_args():
    parser = argparse.ArgumentParser(description='Benchmark ReIDMetric')
    parser.add_argument('--num-query', type=int, default=11659)
    parser.add_argument('--num-gallery', type=int, default=82161)
    parser.add_argument('--dim', type=int, default=768)
    parser.add_argument('--num-ids', type=int, default=3060)
    parser.add_argument('--num-cams', type=int, default=15)
    parser.add_argument('--distance', default='cosine', choices=['cosine', 'euclidean'])
    parser.add_argument('--chunk-size', type=int, default=256)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--record', action='store_true',
                        help='write docs/evidence/reid_metric.md (then regenerate model_zoo.md)')
    return parser.parse_args()


def peak_rss_gib() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def make_results(args) -> list:
    """Metric results as ``ReIDMetric.process`` stores them."""
    rng = np.random.default_rng(args.seed)
    # identities: uneven sizes (a few large, many small), like a real test set
    id_weights = rng.gamma(2.0, 1.0, args.num_ids)
    g_pids = rng.choice(args.num_ids, args.num_gallery, p=id_weights / id_weights.sum())
    q_pids = rng.choice(np.unique(g_pids), args.num_query)
    # each identity is seen by a few cameras
    home = rng.integers(0, args.num_cams, (args.num_ids, 3))
    g_cams = home[g_pids, rng.integers(0, 3, args.num_gallery)]
    q_cams = home[q_pids, rng.integers(0, 3, args.num_query)]
    torch.manual_seed(args.seed)
    features = torch.randn(args.num_query + args.num_gallery, args.dim)
    pids = np.concatenate([q_pids, g_pids])
    cams = np.concatenate([q_cams, g_cams])
    return [
        dict(feature=features[i], pid=int(pids[i]), camid=int(cams[i]),
             split=0 if i < args.num_query else 1, trial=None, img_path=None)
        for i in range(len(pids))
    ]


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f'problem: {args.num_query} queries x {args.num_gallery} gallery, dim {args.dim}, '
          f'{args.num_ids} ids, {args.num_cams} cameras, {args.distance}, chunk '
          f'{args.chunk_size}, device {args.device}, {torch.get_num_threads()} threads')
    results = make_results(args)
    print(f'peak RSS after building the features: {peak_rss_gib():.2f} GiB')
    metric = ReIDMetric(distance=args.distance, chunk_size=args.chunk_size, device=args.device)
    start, cpu_start = time.perf_counter(), time.process_time()
    metrics = metric.compute_metrics(results)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print('metrics: ' + ', '.join(f'{k}={v:.3f}' for k, v in metrics.items()))
    print(f'compute_metrics wall time: {wall:.1f} s (CPU time {cpu:.1f} s; load average '
          f'{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)')
    print(f'peak RSS of the process: {peak_rss_gib():.2f} GiB')
    if args.record:
        from mmdenoise.apis.model_zoo import write_evidence
        command = ('python tools/analysis/benchmark_reid_metric.py ' + ' '.join(sys.argv[1:])).strip()
        body = (f'`ReIDMetric.compute_metrics` on random {args.dim}-d features, '
                f'{args.num_query:,} queries x {args.num_gallery:,} gallery, {args.num_ids:,} '
                f'identities, {args.num_cams} cameras, {args.distance} distance, chunk '
                f'{args.chunk_size}, {torch.get_num_threads()} threads. Target on 2 cores: '
                '<= 60 s and <= 4 GB.\n\n'
                '| wall s | CPU s | peak RSS GiB |\n|---|---|---|\n'
                f'| {wall:.1f} | {cpu:.1f} | {peak_rss_gib():.2f} |')
        print(write_evidence('reid_metric', 'ReID evaluation at MSMT17 size', command, body))


if __name__ == '__main__':
    main()
