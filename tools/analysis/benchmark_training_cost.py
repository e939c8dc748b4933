"""Training cost: one label-free DenoiseRep step vs one plain fine-tuning step of the same model
(CPU, synthetic batch, interleaved repeats, paired ratios); see mmdenoise.apis.training_cost.

    python tools/analysis/benchmark_training_cost.py [--cases vit-s-reid ...] [--markdown]

Target: label-free / fine-tuning <= 1.3.
"""
import argparse
import os
import sys

import torch

from mmdenoise.apis.training_cost import CASES, main_loop, markdown_rows

NOTES = ('CPU, synthetic batch, one full `train_step` (preprocessing, forward, loss, backward, '
         'optimizer step) of each, timed interleaved, ratio paired per repeat (median). '
         '*fine-tune*: the plain task model of the deploy config with its own optimizer, every '
         'parameter trainable; *label-free*: the DenoiseRep wrapper of the config (task model '
         'frozen, only the denoisers learn; the config as it is, the noise loss on every feature '
         'position); *loss on 1/4 of the positions*: the same wrapper with '
         '`attach.loss_sample_ratio=0.25` (an unbiased estimate of the same loss on a random '
         'quarter of the tokens / pixels of each feature). Target: label-free / fine-tune <= 1.3.')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cases', nargs='+', default=list(CASES), choices=list(CASES))
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--markdown', action='store_true', help='also print a markdown table')
    parser.add_argument('--record', action='store_true',
                        help='write docs/evidence/training_cost.md (then regenerate model_zoo.md)')
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, '
          f'load average {os.getloadavg()[0]:.1f}')
    results = main_loop(args.cases, args.repeats, args.warmup)
    if args.markdown:
        print(markdown_rows(results))
    if args.record:
        from mmdenoise.apis.model_zoo import write_evidence
        command = ('python tools/analysis/benchmark_training_cost.py ' + ' '.join(sys.argv[1:])).strip()
        print(write_evidence('training_cost', 'Training cost: label-free DenoiseRep step vs plain fine-tuning step', command, NOTES + '\n\n' + markdown_rows(results)))


if __name__ == '__main__':
    main()
