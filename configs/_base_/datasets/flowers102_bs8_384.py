# dataset settings: Oxford 102 Flowers (mmpretrain ``Flowers102``, 102 classes), 384 px crops:
# mmpretrain's CUB recipe (``_base_/datasets/cub_bs8_384.py``) on this dataset. Layout (mmpretrain
# docs): data/Flowers102/{jpg/*.jpg, imagelabels.mat, setid.mat}; trains on train+val.
_base_ = 'mmpretrain::_base_/datasets/cub_bs8_384.py'
dataset_type = 'Flowers102'
data_preprocessor = dict(num_classes=102)
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root='data/Flowers102', split='trainval'))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root='data/Flowers102', split='test'))
test_dataloader = val_dataloader
