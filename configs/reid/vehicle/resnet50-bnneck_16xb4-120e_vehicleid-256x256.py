_base_ = [
    '../_base_/models/resnet50-bnneck.py', '../_base_/datasets/vehicleid-small_256x256.py',
    '../_base_/schedules/transreid-ssl_sgd-120e.py', '../_base_/default_runtime.py'
]
model = dict(head=dict(num_classes=13164))
