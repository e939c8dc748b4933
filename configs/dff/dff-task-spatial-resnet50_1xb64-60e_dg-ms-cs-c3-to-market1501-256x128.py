# Ablation "Task.(S)" of paper 004 (MS+CS+C3 -> MA: mAP 68.6, R1 85.8, paper-reported): one
# learned frequency mask per spectral transform shared by all images (task-level), over the
# frequency positions. Its logits are 16 x 9 (the rfft2 grid of a 16 x 16 map) and resized to
# each stage's grid (64 x 32 inputs to layer1 give 64 x 17, layer3 16 x 5).
_base_ = './dff-resnet50_1xb64-60e_dg-ms-cs-c3-to-market1501-256x128.py'
model = dict(backbone=dict(filter_cfg=dict(adaptivity='task', attention='spatial',
                                           task_mask_size=(16, 9))))
