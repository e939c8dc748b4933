# DenoiseRep (label-augmented) on the tiny SYSU-MM01 D-SELACFP, attached as in the real configs
# (every convolution and linear layer of the backbone); deploy config: the tiny plain model.
_base_ = './d-selacfp_tiny_sysu-mm01-all.py'
model = dict(
    _delete_=True,
    type='mmdenoise.DenoiseRepWrapper',
    architecture=_base_.model,
    trace_input_shape=(64, 32),
    mode='label_augmented',
    noise_loss_weight=0.1,
    attach=dict(layer_types=('Conv2d', 'Linear'), include=[r'^backbone\.']),
)
deploy_config = './d-selacfp_tiny_sysu-mm01-all.py'
custom_hooks = [dict(type='mmdenoise.DenoiseRepDeployHook')]
