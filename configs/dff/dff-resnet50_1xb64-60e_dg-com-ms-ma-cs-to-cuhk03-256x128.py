# DFF-ResNet-50, "Com-" leave-one-out DG-ReID protocol Com-(MS+MA+CS) -> C3 (paper 004: mAP
# 51.5, R1 51.2, paper-reported): as dff-resnet50_1xb64-60e_dg-ms-ma-cs-to-cuhk03 but every
# identity of the sources trains, test ones included (combine_all); CUHK03 stays unseen.
_base_ = './dff-resnet50_1xb64-60e_dg-ms-ma-cs-to-cuhk03-256x128.py'
sources = [_base_.msmt17_all, _base_.market1501_all, _base_.cuhk_sysu_train]
num_classes = (_base_.num_ids_all['msmt17'] + _base_.num_ids_all['market1501'] +
               _base_.num_ids_all['cuhk_sysu'])
model = dict(head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(datasets=sources))
