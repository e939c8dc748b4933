_base_ = [
    '../_base_/models/transreid-ssl_vit-small.py', '../_base_/datasets/market1501_256x128.py',
    '../_base_/schedules/transreid-ssl_sgd-120e.py', '../_base_/default_runtime.py'
]
model = dict(head=dict(num_classes=751))
