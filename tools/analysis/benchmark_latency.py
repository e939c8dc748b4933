"""Latency, parameters and FLOPs of baseline vs DenoiseRep- vs fused DenoiseRep (CPU), measured
side by side in one run (interleaved repeats, paired ratios, medians); see
mmdenoise.apis.latency_study.

    python tools/analysis/benchmark_latency.py [--cases vit-s-reid resnet50-cls ...] \
        [--repeats 10] [--threads 2] [--markdown]

Target: fused / baseline = 1.00 within noise, identical parameters and FLOPs.
"""
import argparse
import os
import sys

import torch

from mmdenoise.apis.latency_study import CASES, format_case, markdown_rows, run_case

NOTES = ('CPU, batch 1, `tensor` mode (no post-processing), random weights (latency and FLOPs do '
         'not depend on the values), 4 models timed interleaved, ratios paired per repeat '
         '(medians). *fused*: the deploy config loaded with strict=True from the fused weights; '
         "*DenoiseRep-*: the baseline plus a feature denoiser on the final feature (the pooled "
         "vector of classifiers and ReID models; the last backbone map of detectors and "
         "segmentors, per position), T' = 15 reverse steps at inference (the paper reports +15 % "
         "for it on ReID); *unfused*: the "
         'training-time wrapper in eval mode. Target: fused / baseline 1.00 within noise, '
         'identical parameters and FLOPs.')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cases', nargs='+', default=list(CASES), choices=list(CASES))
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--feature-steps', type=int, default=15,
                        help="T' of DenoiseRep- (the paper: 15 for ViT-S, 10 for ViT-B)")
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--markdown', action='store_true', help='also print a markdown table')
    parser.add_argument('--record', action='store_true',
                        help='write docs/evidence/latency.md (then regenerate model_zoo.md)')
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, '
          f'load average {os.getloadavg()[0]:.1f}')
    results = []
    for case in args.cases:
        res = run_case(case, repeats=args.repeats, warmup=args.warmup,
                       feature_steps=args.feature_steps)
        print(format_case(res), flush=True)
        results.append(res)
    if args.markdown:
        print(markdown_rows(results))
    if args.record:
        from mmdenoise.apis.model_zoo import write_evidence
        command = ('python tools/analysis/benchmark_latency.py ' + ' '.join(sys.argv[1:])).strip()
        print(write_evidence('latency', 'Inference latency, parameters and FLOPs: baseline vs DenoiseRep- vs fused DenoiseRep', command, NOTES + '\n\n' + markdown_rows(results)))


if __name__ == '__main__':
    main()
