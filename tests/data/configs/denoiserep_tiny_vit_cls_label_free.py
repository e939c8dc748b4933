# DenoiseRep (label-free) on the tiny ViT classifier: denoisers on every Linear of the backbone.
# The deploy model is the training config's model.architecture (no deploy_config key).
_base_ = './tiny_vit_cls.py'

model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    architecture=_base_.model,
    mode='label_free',
    attach=dict(
        layer_types=('Linear', ),
        include=[r'^backbone\.'],
        steps_per_layer=1,
        side='output',
        schedule=dict(num_steps=1000, beta_start=1e-4, beta_end=2e-3),
        loss='l1+l2'))

# every training iteration seeded from (seed, iteration): --resume repeats an uninterrupted run
custom_hooks = [dict(type='mmdenoise.IterationSeedHook')]
