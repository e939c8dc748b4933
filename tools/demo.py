"""DenoiseRep end to end in a few minutes on CPU (``make demo``), on the embedded Fashion-MNIST
subset ``data/fashion-mnist-mini``:

    python tools/demo.py [--work-dir work_dirs/demo] [--denoiserep-config CFG]
        [--latency-batch 32] [--latency-repeats 15]

1. trains a small ResNet baseline (tools/train.py configs/demo/resnet18-w16_fashion-mnist-mini.py),
2. trains DenoiseRep denoisers on its convolutions, label-free, from the baseline checkpoint,
3. fuses them into the weights (tools/fuse_checkpoint.py --verify),
4. tests the baseline and the fused weights with the untouched baseline config (tools/test.py),
5. prints baseline vs fused: accuracy, parameter count, latency ratio, fusion error.

Exits 1 naming the stage that failed. Logs: work_dirs/demo/logs/<stage>.log.

    python tools/demo.py --make-subset [--source /usr/share/datasets/fashion-mnist]

remakes the embedded subset from the full data set (apt-get install dataset-fashion-mnist).
The logic lives in mmdenoise.apis.demo.
"""
import os.path as osp
import sys

try:
    import mmdenoise  # noqa: F401
except ImportError:  # running from a checkout that is not installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import mmdenoise  # noqa: F401

from mmdenoise.apis.demo import main

if __name__ == '__main__':
    sys.exit(main())
