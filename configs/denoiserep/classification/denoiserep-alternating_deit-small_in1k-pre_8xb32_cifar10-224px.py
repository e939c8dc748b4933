# DenoiseRep (alternating) on DeiT-S (ViT-S/16) fine-tuned on CIFAR-10 (224 px).
# As denoiserep-label-free_deit-small_in1k-pre_8xb32_cifar10-224px.py (same denoisers and
# checkpoint), trained in alternating phases: 'denoiser' (task model frozen, the denoisers learn
# from task + noise loss) and 'backbone' (denoisers frozen, the task model learns through the
# denoised layers); loss weights as label-augmented (lambda=0.1). The authors' schedule (paper
# appendix A): phases of 10 epochs, 120 epochs. See README.md.
_base_ = './denoiserep-label-free_deit-small_in1k-pre_8xb32_cifar10-224px.py'

model = dict(mode='alternating', noise_loss_weight=0.1)

# The phase hook freezes the task model or the denoisers in turn. The wrapper builds with every
# parameter trainable (the first phase is set by the hook at the start of training), so the
# default optimizer constructor, paramwise_cfg included, puts all of them in the optimizer.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-5, weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={'.denoiser.': dict(lr_mult=10.0, decay_mult=0.0)}))

# 120 epochs, phases of 10 epoch(s)
max_epochs = 120
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

custom_hooks = [
    dict(
        type='mmdenoise.DenoiseRepPhaseHook',
        phases=(('denoiser', 10), ('backbone', 10)),
        by_epoch=True),
    dict(type='mmdenoise.DenoiseRepDeployHook'),
]
# each phase leaves one part of the model without gradients (DDP)
find_unused_parameters = True
