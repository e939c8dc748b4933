"""Fashion-MNIST evidence: baseline vs plain fine-tuning vs DenoiseRep label-free vs
label-augmented (fused), for a narrow ResNet-18 and a small ViT, over several seeds; prints
mean +- std of the top-1 accuracy (see mmdenoise.apis.fashion_mnist_study).

    python tools/dataset_converters/prepare_fashion_mnist.py
    python tools/analysis/fashion_mnist_study.py --seeds 0 1 2

Finished stages are reused (delete work_dirs/fashion-mnist-study/... to rerun them);
``--collect`` only prints the summary of what has finished.
"""
import argparse
import sys

from mmdenoise.apis.fashion_mnist_study import (MODELS, STAGES, collect, format_table,
                                                run_study)

NOTES = ('60,000 training / 10,000 test images (the official split; the test set is also the '
         'validation set, no model selection is done on it: every run reports its last epoch). '
         'Configs in `configs/fashion-mnist/`; data made by '
         '`python tools/dataset_converters/prepare_fashion_mnist.py`. Per seed: a baseline '
         'trained from scratch, then from that baseline (a) 2 more epochs of plain fine-tuning '
         '(the control), (b) 2 epochs of label-free DenoiseRep, (c) 2 epochs of label-augmented '
         'DenoiseRep; (b) and (c) are fused (`tools/fuse_checkpoint.py --verify`) and the '
         '**deploy config is tested on the fused weights**. Δ is the per-seed difference to '
         'that seed\'s baseline; ± is the sample standard deviation over the seeds.')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--models', nargs='+', default=list(MODELS), choices=list(MODELS))
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--stages', nargs='+', default=list(STAGES), choices=list(STAGES))
    parser.add_argument('--work-dir', default='work_dirs/fashion-mnist-study')
    parser.add_argument('--record', action='store_true',
                        help='write docs/evidence/fashion_mnist.md (then regenerate model_zoo.md)')
    parser.add_argument('--collect', action='store_true',
                        help='print the summary of the finished stages, train nothing')
    args = parser.parse_args(argv)
    if args.collect:
        rows = collect(args.work_dir, args.models)
    else:
        rows = run_study(args.models, args.seeds, args.work_dir, args.stages)
    print(format_table(rows))
    if args.record:
        from mmdenoise.apis.model_zoo import write_evidence
        command = ('python tools/analysis/fashion_mnist_study.py ' + ' '.join(sys.argv[1:])).strip()
        print(write_evidence('fashion_mnist', 'Accuracy on real data: Fashion-MNIST (full set)',
                             command, NOTES + '\n\n' + format_table(rows)))


if __name__ == '__main__':
    main()
