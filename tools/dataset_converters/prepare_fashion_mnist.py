"""Write the full Fashion-MNIST (60,000 / 10,000 images) as the uncompressed idx files mmpretrain's
``FashionMNIST`` reads, from the official gzip files (``apt-get install dataset-fashion-mnist``
puts them in /usr/share/datasets/fashion-mnist; nothing is downloaded).

    python tools/dataset_converters/prepare_fashion_mnist.py [--src DIR] [--out data/fashion-mnist]
"""
import argparse
import json

from mmdenoise.apis.demo import FASHION_MNIST_SYSTEM_DIR, make_subset

#: every image of each split (Fashion-MNIST has 6,000 / 1,000 images per class)
FULL_PER_CLASS = {'train': 6000, 'test': 1000}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--src', default=FASHION_MNIST_SYSTEM_DIR)
    parser.add_argument('--out', default='data/fashion-mnist')
    args = parser.parse_args(argv)
    report = make_subset(args.src, args.out, per_class=FULL_PER_CLASS)
    print(json.dumps({k: v for k, v in report.items() if k != 'sha256'}, indent=2))


if __name__ == '__main__':
    main()
