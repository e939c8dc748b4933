# DenoiseRep attach preset for DGRL: every Conv2d / Linear of the two feature-extraction
# branches (stems and residual Restormer blocks), of the shared embedding (ResNet stages,
# non-local blocks, side branches) and of the three GALNs. Never the frozen SR module (sr.*),
# nor the classifiers (heads.*: only the training losses use them).
denoiserep_attach = dict(
    layer_types=('Conv2d', 'Linear'),
    include=[r'^(hr_branch|sr_branch)\.', r'^embedding\.', r'^galns\.'],
    exclude=[r'^sr\.'],
)
