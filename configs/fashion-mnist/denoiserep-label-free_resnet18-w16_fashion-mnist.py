# DenoiseRep label-free on the full-Fashion-MNIST ResNet-18-w16 baseline (the demo's denoiser
# placement: conv1/conv2 of every BasicBlock, 16 layers). 2 epochs of denoiser training; set the
# baseline checkpoint with --cfg-options load_from=<baseline>.
_base_ = '../demo/denoiserep-label-free_resnet18-w16_fashion-mnist-mini.py'

data_root = 'data/fashion-mnist'
deploy_config = './resnet18-w16_fashion-mnist.py'
max_epochs = 2
train_dataloader = dict(batch_size=128, dataset=dict(data_root=data_root))
val_dataloader = dict(batch_size=500, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs, eta_min_ratio=0.01,
         convert_to_iter_based=True)
]
default_hooks = dict(logger=dict(type='LoggerHook', interval=100))
