# DenoiseRep (label-augmented) on the tiny ViT classifier; names its deploy config.
_base_ = './tiny_vit_cls.py'

model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    architecture=_base_.model,
    mode='label_augmented',
    noise_loss_weight=0.1,
    attach=dict(
        layer_types=('Linear', ),
        include=[r'^backbone\.layers\.\d+\.ffn\.'],
        steps_per_layer=2,
        side='output',
        schedule=dict(num_steps=1000, beta_start=1e-4, beta_end=2e-3),
        loss='l1+l2'))

deploy_config = './tiny_vit_cls.py'

# every training iteration seeded from (seed, iteration): --resume repeats an uninterrupted run
custom_hooks = [dict(type='mmdenoise.IterationSeedHook')]
