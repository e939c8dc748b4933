"""Make our identity split of the 767 CUHK03 training identities (see mmdenoise.apis.cuhk03_split).

    python tools/dataset_converters/make_cuhk03_split.py ../shared/data/cuhk03-train data/cuhk03-ours
"""
import argparse

from mmdenoise.apis.cuhk03_split import make_cuhk03_split


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('source', help='folder with index.csv and images/')
    parser.add_argument('out_dir', help='where to write train/query/gallery.txt')
    parser.add_argument('--num-val-ids', type=int, default=100)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    print(make_cuhk03_split(args.source, args.out_dir, args.num_val_ids, args.seed))


if __name__ == '__main__':
    main()
