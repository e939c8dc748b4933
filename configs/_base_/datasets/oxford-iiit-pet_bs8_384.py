# dataset settings: Oxford-IIIT Pet (mmpretrain ``OxfordIIITPet``, 37 classes), 384 px crops:
# mmpretrain's CUB recipe (``_base_/datasets/cub_bs8_384.py``) on this dataset. Layout (mmpretrain
# docs): data/Oxford-IIIT_Pets/{images/*.jpg, annotations/{trainval,test}.txt}
_base_ = 'mmpretrain::_base_/datasets/cub_bs8_384.py'
dataset_type = 'OxfordIIITPet'
data_preprocessor = dict(num_classes=37)
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root='data/Oxford-IIIT_Pets', split='trainval'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root='data/Oxford-IIIT_Pets', split='test'))
test_dataloader = val_dataloader
