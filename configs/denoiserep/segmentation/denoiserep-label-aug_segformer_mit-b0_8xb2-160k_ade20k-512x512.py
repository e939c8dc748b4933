# DenoiseRep (label-augmented) on SegFormer MiT-B0 (160k), ADE20K.
# As denoiserep-label-free_segformer_mit-b0_8xb2-160k_ade20k-512x512.py (same denoisers, checkpoint
# and schedule), but the task model trains too: loss = (1 - lambda) * task loss + lambda * noise
# loss with lambda=0.1 (paper Eq. 12, the authors' value), the task forward going through the
# denoised layers. See README.md.
_base_ = './denoiserep-label-free_segformer_mit-b0_8xb2-160k_ade20k-512x512.py'

model = dict(mode='label_augmented', noise_loss_weight=0.1)

# Fine-tuning from the trained model: lr 1e-5 for the task model, 10x for the new
# denoisers. paramwise_cfg is safe here: everything the upstream config trains is
# trainable when the optimizer is built (parameters the upstream config freezes, e.g.
# frozen stages, stay out, as upstream).
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-5, weight_decay=0.01),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={'.denoiser.': dict(lr_mult=10.0, decay_mult=0.0)}))
