# DenoiseRep label-augmented on the full-Fashion-MNIST small ViT, 2 epochs (see the ResNet variant).
_base_ = './denoiserep-label-free_vit-tiny-p4_fashion-mnist.py'

model = dict(mode='label_augmented', noise_loss_weight=0.1)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.01),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={'.denoiser.': dict(lr_mult=10.0, decay_mult=0.0)}))
