# DenoiseRep (label-augmented) on the demo baseline: as the label-free config (same denoisers,
# schedule and deploy config), but the classifier trains too, through the denoised layers:
# loss = (1 - lambda) * cross-entropy + lambda * noise loss, lambda = 0.1 (paper Eq. 12).
#   python tools/demo.py --denoiserep-config \
#       configs/demo/denoiserep-label-aug_resnet18-w16_fashion-mnist-mini.py
_base_ = './denoiserep-label-free_resnet18-w16_fashion-mnist-mini.py'

model = dict(mode='label_augmented', noise_loss_weight=0.1)

# fine-tuning from the trained baseline: small lr for the classifier, 10x for the new denoisers
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.01),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={'.denoiser.': dict(lr_mult=10.0, decay_mult=0.0)}))
