# The demo's narrow ResNet-18 (base width 16, 0.70 M parameters) on the FULL Fashion-MNIST
# (60,000 train / 10,000 test, 28x28 grey, MIT licence). The data is not shipped: prepare it with
#   python tools/dataset_converters/prepare_fashion_mnist.py   (-> data/fashion-mnist)
# 8 epochs (CPU budget of the evidence study tools/analysis/fashion_mnist_study.py).
_base_ = '../demo/resnet18-w16_fashion-mnist-mini.py'

data_root = 'data/fashion-mnist'
max_epochs = 8
train_dataloader = dict(batch_size=128, dataset=dict(data_root=data_root))
val_dataloader = dict(batch_size=500, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs, eta_min=1e-3,
         convert_to_iter_based=True)
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
auto_scale_lr = dict(base_batch_size=128)
default_hooks = dict(logger=dict(type='LoggerHook', interval=100))
