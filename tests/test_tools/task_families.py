"""The task families of the tool-chain tests: tiny data in the real formats and tiny versions of
the zoo's real DenoiseRep configs.

Each family names the real label-free and label-augmented configs under ``configs/denoiserep``
and their deploy config. :func:`tiny_configs` loads them, shrinks the architecture (same model
classes and layer names, so the configs' denoiser selection is exercised as written; narrow
widths, tiny inputs), points the data at a tiny generated dataset, and writes the three configs
(``label_free.py``, ``label_aug.py``, ``deploy.py``) to a folder, the DenoiseRep ones naming the
tiny deploy config. Everything else (wrapper mode, attach preset, optimizer, hooks) is the real
config's.
"""
import copy
import json
import os.path as osp
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
DENOISEREP = REPO / 'configs' / 'denoiserep'


# ------------------------------------------------------------------------------ tiny datasets
def make_imagenet_folder(root: Path, num_classes: int = 3, per_class: int = 4, size: int = 32):
    """``train/<class>/<i>.png`` (mmpretrain ``CustomDataset`` layout)."""
    import cv2
    rng = np.random.default_rng(0)
    for c in range(num_classes):
        folder = root / 'train' / f'class{c}'
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            img = (rng.random((size, size, 3)) * 80 + c * 80).astype(np.uint8)
            assert cv2.imwrite(str(folder / f'c{c}_{i}.png'), img)
    return root


def make_coco(root: Path, num_images: int = 4, size: int = 64):
    """COCO instances json (boxes + polygon masks, 2 categories) and ``images/*.jpg``."""
    import cv2
    rng = np.random.default_rng(0)
    (root / 'images').mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for i in range(num_images):
        img = (rng.random((size, size, 3)) * 60).astype(np.uint8)
        anns = []
        for k in range(2):
            x, y = int(rng.integers(2, size // 2)), int(rng.integers(2, size // 2))
            w, h = int(rng.integers(12, size // 2)), int(rng.integers(12, size // 2))
            img[y:y + h, x:x + w] = 150 + 80 * k
            anns.append(dict(
                id=len(annotations) + len(anns) + 1, image_id=i + 1, category_id=k + 1,
                bbox=[x, y, w, h], area=float(w * h), iscrowd=0,
                segmentation=[[x, y, x + w, y, x + w, y + h, x, y + h]]))
        annotations.extend(anns)
        name = f'{i:012d}.jpg'
        assert cv2.imwrite(str(root / 'images' / name), img)
        images.append(dict(id=i + 1, file_name=name, width=size, height=size))
    coco = dict(images=images, annotations=annotations,
                categories=[dict(id=1, name='box'), dict(id=2, name='bright_box')])
    (root / 'annotations').mkdir(exist_ok=True)
    with open(root / 'annotations' / 'instances.json', 'w') as f:
        json.dump(coco, f)
    return root


def make_ade20k(root: Path, num_images: int = 3, size: int = 32):
    """ADE20K layout: ``images/{training,validation}/ADE_*.jpg`` and
    ``annotations/{training,validation}/ADE_*.png`` (0 = other, 1..150 = classes)."""
    import cv2
    rng = np.random.default_rng(0)
    for split, prefix in (('training', 'ADE_train'), ('validation', 'ADE_val')):
        (root / 'images' / split).mkdir(parents=True, exist_ok=True)
        (root / 'annotations' / split).mkdir(parents=True, exist_ok=True)
        for i in range(num_images):
            seg = np.zeros((size, size), np.uint8)
            seg[:, size // 2:] = 1 + i
            seg[size // 2:, :size // 2] = 10 + i
            img = (seg[..., None] * 7 + rng.random((size, size, 3)) * 30).astype(np.uint8)
            assert cv2.imwrite(str(root / 'images' / split / f'{prefix}_{i + 1:08d}.jpg'), img)
            assert cv2.imwrite(str(root / 'annotations' / split / f'{prefix}_{i + 1:08d}.png'),
                               seg)
    return root


# ------------------------------------------------------------------------------ shrinking
def _resnet50_narrow(backbone: dict, width: int = 8) -> dict:
    """A ResNet-50 (bottleneck, same layer names) ``width / 64`` as wide; no pretrained init.

    ``zero_init_residual=False``: the upstream default zeroes every bottleneck's last BN, so the
    residual branches (where the denoisers sit) would not reach the output of a freshly built
    model and fused == unfused would hold trivially."""
    backbone.update(stem_channels=width, base_channels=width, init_cfg=None,
                    zero_init_residual=False)
    return backbone


def _stage_channels(width: int):
    return [width * 4 * 2**i for i in range(4)]  # bottleneck expansion 4


def _shrink_cls(model: dict) -> None:
    _resnet50_narrow(model['backbone'])
    model['head'].update(num_classes=3, in_channels=_stage_channels(8)[-1], topk=(1, ))


def _shrink_mask_rcnn(model: dict) -> None:
    c = 16
    _resnet50_narrow(model['backbone'])
    model['neck'].update(in_channels=_stage_channels(8), out_channels=c)
    model['rpn_head'].update(in_channels=c, feat_channels=c)
    roi = model['roi_head']
    roi['bbox_roi_extractor']['out_channels'] = c
    roi['bbox_head'].update(in_channels=c, fc_out_channels=32, num_classes=2)
    roi['mask_roi_extractor']['out_channels'] = c
    roi['mask_head'].update(in_channels=c, conv_out_channels=c, num_classes=2)


def _shrink_detr(model: dict) -> None:
    d = 32
    _resnet50_narrow(model['backbone'])
    model['num_queries'] = 10
    model['neck'].update(in_channels=[_stage_channels(8)[-1]], out_channels=d)
    for part in ('encoder', 'decoder'):
        layer = model[part]
        layer['num_layers'] = 1
        for attn in ('self_attn_cfg', 'cross_attn_cfg'):
            if attn in layer['layer_cfg']:
                layer['layer_cfg'][attn].update(embed_dims=d, num_heads=2)
        layer['layer_cfg']['ffn_cfg'].update(embed_dims=d, feedforward_channels=64)
    model['positional_encoding']['num_feats'] = d // 2
    model['bbox_head'].update(num_classes=2, embed_dims=d)
    model['test_cfg'] = dict(max_per_img=10)  # <= num_queries


def _shrink_fcn(model: dict) -> None:
    model['pretrained'] = None  # mmseg: the ImageNet backbone comes through model.pretrained
    _resnet50_narrow(model['backbone'])
    ch = _stage_channels(8)
    model['backbone']['stem_channels'] = 8
    model['decode_head'].update(in_channels=ch[3], channels=16)
    model['auxiliary_head'].update(in_channels=ch[2], channels=8)
    model['data_preprocessor']['size'] = (32, 32)


def _shrink_segformer(model: dict) -> None:
    model['pretrained'] = None
    model['backbone'].update(embed_dims=8, init_cfg=None)  # stages 8, 16, 40, 64
    model['decode_head'].update(in_channels=[8, 16, 40, 64], channels=16)
    model['data_preprocessor']['size'] = (32, 32)


def _mmdet_data(cfg, root: Path, with_mask: bool) -> None:
    ann = str(root / 'annotations' / 'instances.json')
    load = dict(type='LoadAnnotations', with_bbox=True, with_mask=with_mask)
    train_pipeline = [dict(type='LoadImageFromFile'), load,
                      dict(type='Resize', scale=(64, 64), keep_ratio=True),
                      dict(type='PackDetInputs')]
    test_pipeline = [dict(type='LoadImageFromFile'),
                     dict(type='Resize', scale=(64, 64), keep_ratio=True), load,
                     dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape',
                                                           'img_shape', 'scale_factor'))]
    dataset = dict(type='CocoDataset', data_root=str(root), ann_file=ann,
                   data_prefix=dict(img='images/'), metainfo=dict(classes=('box', 'bright_box')))
    cfg.train_dataloader = dict(
        batch_size=2, num_workers=0, persistent_workers=False,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(dataset, filter_cfg=dict(filter_empty_gt=True), pipeline=train_pipeline))
    cfg.val_dataloader = dict(
        batch_size=2, num_workers=0, persistent_workers=False, drop_last=False,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(dataset, test_mode=True, pipeline=test_pipeline))
    cfg.test_dataloader = cfg.val_dataloader
    cfg.val_evaluator = dict(type='CocoMetric', ann_file=ann,
                             metric=['bbox', 'segm'] if with_mask else ['bbox'])
    cfg.test_evaluator = cfg.val_evaluator


def _mmseg_data(cfg, root: Path) -> None:
    cfg.crop_size = (32, 32)
    train_pipeline = [dict(type='LoadImageFromFile'),
                      dict(type='LoadAnnotations', reduce_zero_label=True),
                      dict(type='RandomCrop', crop_size=(32, 32)),
                      dict(type='PackSegInputs')]
    test_pipeline = [dict(type='LoadImageFromFile'),
                     dict(type='LoadAnnotations', reduce_zero_label=True),
                     dict(type='PackSegInputs')]

    def loader(split, pipeline, batch):
        return dict(batch_size=batch, num_workers=0, persistent_workers=False,
                    sampler=dict(type='InfiniteSampler' if split == 'training' else
                                 'DefaultSampler', shuffle=split == 'training'),
                    dataset=dict(type='ADE20KDataset', data_root=str(root),
                                 data_prefix=dict(img_path=f'images/{split}',
                                                  seg_map_path=f'annotations/{split}'),
                                 pipeline=pipeline))

    cfg.train_dataloader = loader('training', train_pipeline, 2)
    cfg.val_dataloader = loader('validation', test_pipeline, 1)
    cfg.test_dataloader = cfg.val_dataloader


def _mmpretrain_data(cfg, root: Path) -> None:
    pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=32),
                dict(type='PackInputs')]
    dataset = dict(type='CustomDataset', data_root=str(root), data_prefix='train',
                   pipeline=pipeline)
    cfg.train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                                sampler=dict(type='DefaultSampler', shuffle=True),
                                dataset=dataset)
    cfg.val_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                              sampler=dict(type='DefaultSampler', shuffle=False),
                              dataset=dataset)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.val_evaluator = dict(type='Accuracy', topk=(1, ))
    cfg.test_evaluator = cfg.val_evaluator
    cfg.data_preprocessor['num_classes'] = 3


#: family -> (config stem under configs/denoiserep/<task>, task, data maker, shrink, data setter,
#:            the metric tools/test.py must report)
FAMILIES = {
    'resnet-cls': ('classification', 'resnet50_8xb32_in1k', make_imagenet_folder, _shrink_cls,
                   _mmpretrain_data, 'accuracy/top1'),
    'mask-rcnn': ('detection', 'mask-rcnn_r50_fpn_1x_coco', make_coco, _shrink_mask_rcnn,
                  lambda cfg, root: _mmdet_data(cfg, root, True), 'coco/segm_mAP'),
    'detr': ('detection', 'detr_r50_8xb2-150e_coco', make_coco, _shrink_detr,
             lambda cfg, root: _mmdet_data(cfg, root, False), 'coco/bbox_mAP'),
    'fcn': ('segmentation', 'fcn_r50-d8_4xb4-80k_ade20k-512x512', make_ade20k, _shrink_fcn,
            _mmseg_data, 'mIoU'),
    'segformer': ('segmentation', 'segformer_mit-b0_8xb2-160k_ade20k-512x512', make_ade20k,
                  _shrink_segformer, _mmseg_data, 'mIoU'),
}


def _runtime(cfg, iters: int = 2) -> None:
    """A few iterations, no validation during training, a checkpoint at the end."""
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters, val_begin=iters + 1)
    cfg.param_scheduler = []
    cfg.load_from = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=iters, by_epoch=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    if 'visualization' in cfg.default_hooks:
        cfg.default_hooks.visualization = dict(type=cfg.default_hooks.visualization.type)
    cfg.env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork'),
                       dist_cfg=dict(backend='gloo'))
    cfg.randomness = dict(seed=0)
    cfg.pop('auto_scale_lr', None)


def tiny_configs(family: str, data_root: Path, out_dir: Path) -> dict:
    """Write the tiny label-free / label-augmented / deploy configs of ``family``; returns
    ``{'label_free', 'label_aug', 'deploy', 'metric', 'real_label_free', 'real_label_aug'}``."""
    from mmengine.config import Config
    task, stem, _, shrink, set_data, metric = FAMILIES[family]
    folder = DENOISEREP / task
    real = dict(label_free=folder / f'denoiserep-label-free_{stem}.py',
                label_aug=folder / f'denoiserep-label-aug_{stem}.py',
                deploy=folder / f'{stem}_deploy.py')
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    deploy_cfg = Config.fromfile(str(real['deploy']))
    model = copy.deepcopy(deploy_cfg.model.to_dict())
    shrink(model)
    for kind, path in real.items():
        cfg = Config.fromfile(str(path))
        if kind == 'deploy':
            cfg.model = copy.deepcopy(model)
        else:
            wrapped = copy.deepcopy(model)
            if 'data_preprocessor' in cfg.model.architecture:
                wrapped['data_preprocessor'] = cfg.model.architecture.data_preprocessor.to_dict()
                wrapped['data_preprocessor'].update(model.get('data_preprocessor', {}))
            cfg.model.architecture = wrapped
            cfg.deploy_config = str(out_dir / 'deploy.py')
        if 'data_preprocessor' in cfg and cfg.data_preprocessor is not None:
            cfg.data_preprocessor = dict(cfg.data_preprocessor)
        set_data(cfg, data_root)
        _runtime(cfg)
        out = out_dir / f'{kind}.py'
        cfg.dump(str(out))
        paths[kind] = out
    paths.update(metric=metric, real_label_free=real['label_free'],
                 real_label_aug=real['label_aug'])
    return paths
