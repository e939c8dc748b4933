# DenoiseRep (label-free) on Faster R-CNN R50-FPN (1x), COCO.
# Upstream: mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py.
# Deploy config: faster-rcnn_r50_fpn_1x_coco_deploy.py.
# Denoisers on the bottleneck convs (conv1/2/3) of layer2-4 of the ResNet backbone (stem and layer1
# are frozen upstream). The trained task model is frozen and reads no labels; only the denoisers
# learn, from the diffusion noise loss. Fuse with tools/fuse_checkpoint.py. See README.md.
_base_ = [
    'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
    '../../_base_/denoiserep/attach_resnet_frozen-stage1.py',
]

model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    # the trained model comes through load_from: no ImageNet backbone init (no download)
    architecture=dict(
        _base_.model, backbone=dict(_base_.model.backbone, init_cfg=None)),
    mode='label_free',
    attach=_base_.denoiserep_attach)
# the plain model the fused weights load into (tools/fuse_checkpoint.py)
deploy_config = './faster-rcnn_r50_fpn_1x_coco_deploy.py'

# DenoiseRep starts from the trained model: the upstream release (metafile Weights);
# only the denoiser keys are missing from it.
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r50_fpn_1x_coco/faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth'  # noqa

# Only the denoisers have gradients (the wrapper freezes the task model before the
# optimizer is built); the upstream optimizer and its paramwise_cfg are replaced.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.0))

# short schedule: 3 epochs of COCO (1/4 of a 1x schedule), linear warm-up then cosine
max_epochs = 3
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=500),
    dict(
        type='CosineAnnealingLR',
        eta_min_ratio=0.01,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True)
]

# the deploy weights at the end; every iteration seeded from (seed, iteration), so --resume
# repeats an uninterrupted run exactly
custom_hooks = [
    dict(type='mmdenoise.DenoiseRepDeployHook'),
    dict(type='mmdenoise.IterationSeedHook'),
]
