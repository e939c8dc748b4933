# DFF-ResNet-50, "Com-" leave-one-out DG-ReID protocol Com-(MA+CS+C3) -> MS (paper 004: mAP
# 25.3, R1 51.8, paper-reported): as dff-resnet50_1xb64-60e_dg-ma-cs-c3-to-msmt17 but every
# identity of the sources trains, test ones included (combine_all); MSMT17 stays unseen.
_base_ = './dff-resnet50_1xb64-60e_dg-ma-cs-c3-to-msmt17-256x128.py'
sources = [_base_.market1501_all, _base_.cuhk_sysu_train, _base_.cuhk03_all]
num_classes = (_base_.num_ids_all['market1501'] + _base_.num_ids_all['cuhk_sysu'] +
               _base_.num_ids_all['cuhk03'])
model = dict(head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(datasets=sources))
