# DenoiseRep (label-free) on the demo baseline (resnet18-w16_fashion-mnist-mini.py).
# Denoisers on the two 3x3 convolutions (conv1, conv2) of every BasicBlock of layer1-4 (16
# layers; the stem and the downsample shortcuts are left alone). Their bias-free constant is folded
# into the following BatchNorm, so the fused model has exactly the baseline's keys and shapes.
# The trained classifier is frozen and reads no labels; only the denoisers learn, from the
# diffusion noise loss. The baseline checkpoint comes from the command line:
#   python tools/train.py configs/demo/denoiserep-label-free_resnet18-w16_fashion-mnist-mini.py \
#       --work-dir work_dirs/demo/denoiserep \
#       --cfg-options load_from=work_dirs/demo/baseline/epoch_8.pth
# DenoiseRepDeployHook writes work_dir/deploy.pth at the end; tools/fuse_checkpoint.py does the
# same from any checkpoint of this config. tools/demo.py runs the whole flow.
_base_ = './resnet18-w16_fashion-mnist-mini.py'

model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    architecture=_base_.model,
    mode='label_free',
    attach=dict(
        layer_types=('Conv2d', ),
        include=[r'^backbone\.layer[1-4]\.\d+\.conv[12]$'],
        steps_per_layer=1,
        side='output',
        bias_free='auto',
        schedule=dict(num_steps=1000, beta_start=1e-4, beta_end=2e-3),
        loss='l1+l2'))
# the plain model the fused weights load into with strict=True: the untouched baseline config
deploy_config = './resnet18-w16_fashion-mnist-mini.py'

# the trained baseline (set on the command line, see above)
load_from = None

# Only the denoisers have gradients (the wrapper freezes the task model before the optimizer is
# built).
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.0))
max_epochs = 2
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs, eta_min_ratio=0.01,
         convert_to_iter_based=True)
]
default_hooks = dict(logger=dict(type='LoggerHook', interval=20))

# the deploy weights at the end; every iteration seeded from (seed, iteration), so --resume
# repeats an uninterrupted run exactly
custom_hooks = [
    dict(type='mmdenoise.DenoiseRepDeployHook'),
    dict(type='mmdenoise.IterationSeedHook'),
]
