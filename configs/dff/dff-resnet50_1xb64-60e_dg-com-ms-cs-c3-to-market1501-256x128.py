# DFF-ResNet-50, "Com-" leave-one-out DG-ReID protocol Com-(MS+CS+C3) -> MA (paper 004: mAP
# 81.0, R1 92.3, paper-reported): as dff-resnet50_1xb64-60e_dg-ms-cs-c3-to-market1501 but every
# identity of the sources trains, test ones included (combine_all); Market-1501 stays unseen.
_base_ = './dff-resnet50_1xb64-60e_dg-ms-cs-c3-to-market1501-256x128.py'
sources = [_base_.msmt17_all, _base_.cuhk_sysu_train, _base_.cuhk03_all]
num_classes = (_base_.num_ids_all['msmt17'] + _base_.num_ids_all['cuhk_sysu'] +
               _base_.num_ids_all['cuhk03'])
model = dict(head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(datasets=sources))
