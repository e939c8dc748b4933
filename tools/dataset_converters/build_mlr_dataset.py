"""Build an MLR-* cross-resolution dataset (MLR-Market-1501, MLR-CUHK03, MLR-VIPeR).

The images of the low-resolution camera(s) are down-sampled by a factor drawn per image from
``--ratios`` (default 2 3 4) with ``cv2.INTER_AREA``; everything else is copied. The output
keeps the source layout, so the usual dataset config reads it. See
``mmdenoise/datasets/mlr.py`` for the protocol.

Examples::

    python tools/dataset_converters/build_mlr_dataset.py \\
        data/market1501/Market-1501-v15.09.15 data/mlr_market1501 --source market1501
    python tools/dataset_converters/build_mlr_dataset.py data/viper/VIPeR data/mlr_viper \\
        --source viper --lr-cameras 2
    python tools/dataset_converters/build_mlr_dataset.py data/cuhk03-np data/mlr_cuhk03 \\
        --source cuhk03 --folders labeled/query detected/query
"""
import argparse

from mmdenoise.datasets.mlr import SOURCES, build_mlr_dataset


def parse_args():
    parser = argparse.ArgumentParser(description='Build an MLR-* cross-resolution dataset')
    parser.add_argument('src_root', help='source dataset folder')
    parser.add_argument('dst_root', help='output folder')
    parser.add_argument('--source', choices=sorted(SOURCES), default='market1501')
    parser.add_argument(
        '--lr-cameras', type=int, nargs='+', default=None,
        help='1-based low-resolution cameras (VIPeR: 1 = cam_a, 2 = cam_b); default: '
        + ', '.join(f'{k}: {v["default_cameras"]}' for k, v in SOURCES.items()))
    parser.add_argument('--ratios', type=int, nargs='+', default=[2, 3, 4])
    parser.add_argument(
        '--folders', nargs='+', default=None,
        help='only down-sample these folders (e.g. query); default: all image folders')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--overwrite', action='store_true')
    return parser.parse_args()


def main():
    args = parse_args()
    counts = build_mlr_dataset(
        args.src_root,
        args.dst_root,
        source=args.source,
        low_res_cameras=args.lr_cameras,
        ratios=args.ratios,
        folders=args.folders,
        seed=args.seed,
        overwrite=args.overwrite)
    ratios = ', '.join(f'x{r}: {n}' for r, n in counts['ratios'].items())
    print(f'{args.dst_root}: {counts["downsampled"]} images downsampled ({ratios}), '
          f'{counts["copied"]} files copied')


if __name__ == '__main__':
    main()
