# A small ViT (mmpretrain VisionTransformer: 4 layers, 64-d, 2 heads, patch 4 -> 7x7 tokens)
# trained from scratch on the full Fashion-MNIST, 8 epochs (CPU budget).
# Data: python tools/dataset_converters/prepare_fashion_mnist.py (-> data/fashion-mnist).
_base_ = './resnet18-w16_fashion-mnist.py'

model = dict(
    _delete_=True,
    type='ImageClassifier',
    backbone=dict(
        type='VisionTransformer',
        arch=dict(embed_dims=64, num_layers=4, num_heads=2, feedforward_channels=256),
        img_size=28,
        patch_size=4,
        drop_rate=0.0,
        drop_path_rate=0.05),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={'.cls_token': dict(decay_mult=0.0),
                                    '.pos_embed': dict(decay_mult=0.0)}),
    clip_grad=dict(max_norm=5.0))
