# DenoiseRep label-free on the full-Fashion-MNIST small ViT: denoisers on the two Linear layers
# of every MLP (the paper's placement: ffn.layers.0.0 and ffn.layers.1 of each of the 4 layers,
# 8 layers). The trained ViT is frozen and reads no labels; 2 epochs. Set the baseline with
#   --cfg-options load_from=<baseline checkpoint>
_base_ = './vit-tiny-p4_fashion-mnist.py'

model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    architecture=_base_.model,
    mode='label_free',
    attach=dict(
        layer_types=('Linear', ),
        include=[r'^backbone\.layers\.\d+\.ffn\.layers\.(0\.0|1)$'],
        steps_per_layer=1,
        side='output',
        schedule=dict(num_steps=1000, beta_start=1e-4, beta_end=2e-3),
        loss='l1+l2'))
deploy_config = './vit-tiny-p4_fashion-mnist.py'
load_from = None

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.0))
max_epochs = 2
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs, eta_min_ratio=0.01,
         convert_to_iter_based=True)
]
custom_hooks = [
    dict(type='mmdenoise.DenoiseRepDeployHook'),
    dict(type='mmdenoise.IterationSeedHook'),
]
