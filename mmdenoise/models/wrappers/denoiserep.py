"""The DenoiseRep wrapper: any registered task model + denoisers on its embedding layers."""
from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Dict, List, Optional, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModel
from torch import nn

from mmdenoise.denoiserep import (attach_denoisers, check_fused, collect_noise_losses,
                                  find_denoised_layers, fuse, get_training_mode,
                                  set_training_mode)
from mmdenoise.registry import MODELS

MODES = ('label_free', 'label_augmented', 'alternating')
PHASES = ('denoiser', 'backbone')


@MODELS.register_module()
class DenoiseRepWrapper(BaseModel):
    """Wrap a task model (classifier, detector, segmentor, ReID model) with DenoiseRep denoisers.

    The task model (``architecture``) is built first, then denoisers are attached to the layers
    selected by ``attach`` (keyword arguments of
    :func:`mmdenoise.denoiserep.attach_denoisers`), so they exist when the optimizer is built.
    The wrapper's state-dict keys are the task model's own keys plus ``*.denoiser.*``: a plain
    upstream checkpoint loads through ``load_from`` with only the denoiser keys missing, and the
    fused weights (:meth:`fuse`) load with ``strict=True`` into the untouched upstream config.

    Training modes (paper section 3.4, method note section 7):

    - ``label_free``: the task model is frozen (parameters and BN statistics), its outputs are the
      original ones, no labels are read (``mode='tensor'`` forward); only the denoisers learn, from
      ``loss_denoise``.
    - ``label_augmented``: ``(1 - lambda) * task losses + lambda * loss_denoise`` (paper Eq. 12),
      the task forward going through the denoised (fused-equivalent) layers; everything learns.
    - ``alternating``: phases ``'denoiser'`` (task model frozen, denoisers learn from both losses)
      and ``'backbone'`` (denoisers frozen, the task model learns through the denoised path),
      switched by :class:`~mmdenoise.engine.DenoiseRepPhaseHook`.

    In eval mode (validation, test) every denoised layer returns its denoised output, i.e. what
    the fused model computes.

    Args:
        architecture: the task model, as a config dict or a built module.
        mode: ``'label_free'``, ``'label_augmented'`` or ``'alternating'``.
        attach: keyword arguments for ``attach_denoisers`` (layer names relative to the task model).
        noise_loss_weight: lambda of Eq. 12 (authors: 0.1); unused in ``label_free`` mode.
        task_loss_weight: weight of the task losses; default ``1 - noise_loss_weight``.
        loss_reduction: how the per-layer noise losses are combined: ``'mean'`` or ``'sum'``.
        detach_features: the noise loss trains only the denoisers (features detached).
        data_preprocessor: ignored when the task model has its own; otherwise given to it (the
            Runner merges a config's top-level ``data_preprocessor`` here, as mmpretrain uses).
        trace_input_shape: ``(H, W)`` of the random input of the one traced forward (``tensor``
            mode, eval, no grad) that proves the BatchNorm folds and gives the execution order
            of the steps (see ``attach_denoisers``). Default: the backbone's ``img_size`` (or
            its patch embedding's ``init_input_size``) when it has one, else 64 x 64 (any size
            the model accepts gives the same structure). Any other length is the full input
            shape (e.g. ``(1, 16)`` for a model on vectors).
        init_cfg: unused (the task model keeps its own ``init_cfg``).
    """

    def __init__(self,
                 architecture: Union[dict, nn.Module],
                 mode: str = 'label_free',
                 attach: Optional[dict] = None,
                 noise_loss_weight: float = 0.1,
                 task_loss_weight: Optional[float] = None,
                 loss_reduction: str = 'mean',
                 detach_features: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 trace_input_shape: Optional[tuple] = None,
                 init_cfg: Optional[dict] = None):
        if mode not in MODES:
            raise ValueError(f'DenoiseRepWrapper: unknown mode {mode!r}, expected one of {MODES}')
        if loss_reduction not in ('mean', 'sum'):
            raise ValueError(f"loss_reduction must be 'mean' or 'sum', got {loss_reduction!r}")
        if isinstance(architecture, dict):
            architecture = copy.deepcopy(architecture)
            if data_preprocessor is not None and architecture.get('data_preprocessor') is None:
                architecture['data_preprocessor'] = data_preprocessor
            architecture = MODELS.build(architecture)
        if not isinstance(architecture, nn.Module):
            raise TypeError(f'architecture must be a config dict or nn.Module, got '
                            f'{type(architecture).__name__}')
        preprocessor = getattr(architecture, 'data_preprocessor', None)
        super().__init__(data_preprocessor=preprocessor, init_cfg=init_cfg)
        self.architecture = architecture
        self.mode = mode
        self.noise_loss_weight = float(noise_loss_weight)
        self.task_loss_weight = (1.0 - self.noise_loss_weight
                                 if task_loss_weight is None else float(task_loss_weight))
        self.loss_reduction = loss_reduction
        self.detach_features = detach_features
        self.attach_cfg = dict(attach or {})
        attach_kwargs = dict(self.attach_cfg)
        self.trace_input_shape = tuple(trace_input_shape) if trace_input_shape else None
        if attach_kwargs.get('example_inputs') is None:
            attach_kwargs['example_inputs'] = self.example_inputs()
        attach_kwargs.setdefault('log', _log_line)
        attach_kwargs.setdefault('require_called', False)
        try:
            self.denoised_layers = attach_denoisers(self.architecture, **attach_kwargs)
        except TypeError as err:
            if 'attach_denoisers() got an unexpected keyword' not in str(err):
                raise
            raise ValueError(f'DenoiseRepWrapper: model.attach has an unknown option ({err}); '
                             'see mmdenoise.denoiserep.attach_denoisers for the options') from None
        self.last_noise_losses: Dict[str, torch.Tensor] = {}
        # Alternating: everything stays trainable until the optimizer is built (a paramwise_cfg
        # drops parameters frozen at that time); DenoiseRepPhaseHook sets the phase in
        # before_train, and training without it is refused in loss().
        initial = 'label_augmented' if mode == 'alternating' else mode
        set_training_mode(self.architecture, initial, detach_features)
        self._phase_set = False
        self._register_state_dict_hook(_strip_architecture_prefix)
        self._register_load_state_dict_pre_hook(_add_architecture_prefix)

    # ------------------------------------------------------------------ phases
    @property
    def phase(self) -> str:
        """The current training mode of the task model (``'denoiser'``/``'backbone'`` when
        alternating; ``'label_augmented'`` before the phase hook has set one)."""
        return get_training_mode(self.architecture)

    def set_phase(self, phase: str) -> None:
        """Switch the alternating schedule's phase (``'denoiser'`` or ``'backbone'``)."""
        if self.mode != 'alternating':
            raise RuntimeError(f'set_phase is for mode="alternating"; this wrapper is {self.mode!r}')
        if phase not in PHASES:
            raise ValueError(f'unknown phase {phase!r}, expected one of {PHASES}')
        if phase != self.phase:
            set_training_mode(self.architecture, phase, self.detach_features)
        self._phase_set = True

    # ------------------------------------------------------------------ weights
    def init_weights(self) -> None:
        """Initialise the task model (its ``init_cfg``, e.g. Pretrained, with its own keys),
        then give every denoiser its own initialisation back (a task model's layer-type init
        rules such as ``TruncNormal(layer='Linear')`` would otherwise reach the denoisers'
        time-embedding MLPs)."""
        if hasattr(self.architecture, 'init_weights'):
            self.architecture.init_weights()
        for _, layer in find_denoised_layers(self.architecture):
            layer.denoiser.reset_parameters()
        self._is_init = True

    def fuse(self, noise: bool = False, seed: Optional[int] = None) -> nn.Module:
        """A new plain task model with the denoisers fused in (this wrapper is untouched)."""
        return fuse(self.architecture, noise=noise, seed=seed).eval()

    def example_inputs(self, shape: Optional[tuple] = None) -> dict:
        """Keyword arguments of one ``tensor``-mode forward of the task model on a random input
        (``shape`` or ``trace_input_shape``), on the model's device."""
        return trace_inputs(self.architecture, shape or self.trace_input_shape)

    def check_fused(self, fused: Optional[nn.Module] = None, tolerance: float = 1e-4,
                    shape: Optional[tuple] = None, what: str = 'the fused model') -> dict:
        """One forward of ``fused`` (default: :meth:`fuse`) vs the unfused task model on a random
        input; raises :class:`~mmdenoise.denoiserep.FusionCheckError` naming the worst layer
        above ``tolerance`` or any non-finite value (see :func:`~mmdenoise.denoiserep.check_fused`).
        """
        fused = self.fuse() if fused is None else fused
        # A two-stage detector's tensor output goes through proposal NMS, where near-ties
        # may order boxes differently: its denoised layers are compared, not the outputs.
        two_stage = all(getattr(self.architecture, n, None) is not None
                        for n in ('rpn_head', 'roi_head'))
        return check_fused(self.architecture, fused, self.example_inputs(shape), tolerance, what,
                           compare_outputs=not two_stage)

    def deploy_state_dict(self, noise: bool = False, seed: Optional[int] = None) -> OrderedDict:
        """The fused weights, with exactly the keys of the untouched task model."""
        return self.fuse(noise=noise, seed=seed).state_dict()

    # ------------------------------------------------------------------ forward
    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode in ('predict', 'tensor'):
            return self.architecture(inputs, data_samples, mode=mode)
        raise RuntimeError(f'Invalid mode "{mode}". Only supports loss, predict and tensor mode')

    def loss(self, inputs, data_samples=None) -> Dict[str, torch.Tensor]:
        if self.mode == 'alternating' and not self._phase_set:
            raise RuntimeError('DenoiseRepWrapper(mode="alternating") has no phase: add '
                               "dict(type='mmdenoise.DenoiseRepPhaseHook', ...) to custom_hooks "
                               "(or call set_phase('denoiser' | 'backbone'))")
        phase = self.phase
        if phase == 'label_free':
            # The task model is frozen and its output unchanged; no labels are read.
            self.architecture(inputs, data_samples, mode='tensor')
            losses: Dict[str, torch.Tensor] = {}
            noise_weight = 1.0
        else:
            losses = self._scale(self.architecture(inputs, data_samples, mode='loss'),
                                 self.task_loss_weight)
            noise_weight = self.noise_loss_weight
        noise = collect_noise_losses(self.architecture, reduction=self.loss_reduction)
        self.last_noise_losses = {k: v.detach() for k, v in noise['per_layer'].items()}
        _check_finite_noise_losses(self.last_noise_losses)
        # Zero in the 'backbone' phase (denoisers frozen), so logs never show a stale value.
        losses['loss_denoise'] = noise['loss_denoise'] * noise_weight
        return losses

    @staticmethod
    def _scale(losses: dict, weight: float) -> dict:
        if weight == 1.0:
            return losses
        scaled = {}
        for key, value in losses.items():
            if 'loss' not in key:
                scaled[key] = value
            elif isinstance(value, torch.Tensor):
                scaled[key] = value * weight
            else:  # list of tensors (mmdet per-level losses)
                scaled[key] = [v * weight for v in value]
        return scaled


def _check_finite_noise_losses(per_layer: Dict[str, torch.Tensor]) -> None:
    """Stop training at a NaN / inf noise loss, naming the layer (one device sync per step).

    Chosen over skipping the step: a non-finite noise loss means the denoiser (or the feature it
    sees) has already diverged, and a skipped step would only hide it until the deploy weights
    are written from a broken model.
    """
    if not per_layer:
        return
    values = torch.stack([v.detach().float().reshape(()) for v in per_layer.values()])
    if bool(torch.isfinite(values).all()):
        return
    bad = [name for name, v in per_layer.items() if not bool(torch.isfinite(v).all())]
    raise FloatingPointError(
        f'DenoiseRep: the noise loss of layer {bad[0]!r} is {float(per_layer[bad[0]]):g}'
        + (f' (and of {len(bad) - 1} more layer(s))' if len(bad) > 1 else '')
        + ': the denoiser or its input feature diverged; lower the learning rate or check '
        'the features (the weights before this step are in the last checkpoint)')


# ---------------------------------------------------------------------- tracing
def _log_line(message: str) -> None:
    print_log(message, logger='current')


def _input_channels(model: nn.Module) -> int:
    preprocessor = getattr(model, 'data_preprocessor', None)
    mean = getattr(preprocessor, 'mean', None)
    if isinstance(mean, torch.Tensor) and mean.numel() >= 1:
        return int(mean.numel())
    backbone = getattr(model, 'backbone', model)
    for attr in ('in_channels', 'in_chans'):
        value = getattr(backbone, attr, None)
        if isinstance(value, int):
            return value
    return 3


def _default_trace_shape(model: nn.Module) -> tuple:
    backbone = getattr(model, 'backbone', model)
    size = getattr(backbone, 'img_size', None)
    if size is None:  # mmpretrain / mmcv PatchEmbed keeps the size the model was built for
        size = getattr(getattr(backbone, 'patch_embed', None), 'init_input_size', None)
    if isinstance(size, int):
        return size, size
    if isinstance(size, (tuple, list)) and len(size) == 2:
        return int(size[0]), int(size[1])
    return 64, 64


def trace_inputs(model: nn.Module, shape: Optional[tuple] = None) -> dict:
    """Keyword arguments of the task model's ``tensor``-mode forward on one random image of
    ``shape`` (default :func:`_default_trace_shape`): what the wrapper traces to prove folds."""
    shape = tuple(int(v) for v in (shape or _default_trace_shape(model)))
    full = shape if len(shape) != 2 else (1, _input_channels(model)) + shape
    h, w = full[-2:]
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device('cpu')
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    inputs = torch.randn(full, device=device, dtype=dtype,
                         generator=torch.Generator(device=device).manual_seed(0))
    samples = None  # multi-stream ReID models then run every stream
    if type(model).__module__.startswith('mmdet.'):
        from mmdet.structures import DetDataSample
        sample = DetDataSample()
        sample.set_metainfo(dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w),
                                 batch_input_shape=(h, w), scale_factor=(1.0, 1.0)))
        samples = [sample]
    return dict(inputs=inputs, data_samples=samples, mode='tensor')


# ---------------------------------------------------------------------- state-dict key mapping
_ARCH = 'architecture.'
_OWN_PREPROCESSOR = 'data_preprocessor.'


def _strip_architecture_prefix(module, state_dict, prefix, local_metadata):
    """Save the task model's keys without ``architecture.`` (the preprocessor is shared)."""
    keys: List[str] = [k for k in state_dict if k.startswith(prefix)]
    items = [(k, state_dict.pop(k)) for k in keys]
    for key, value in items:
        rest = key[len(prefix):]
        if rest.startswith(_OWN_PREPROCESSOR):
            continue  # the same module is saved under architecture.data_preprocessor
        if rest.startswith(_ARCH):
            rest = rest[len(_ARCH):]
        state_dict[prefix + rest] = value
    return state_dict


def _add_architecture_prefix(state_dict, prefix, local_metadata, strict, missing_keys,
                             unexpected_keys, error_msgs):
    """Load plain task-model keys (upstream checkpoints, deploy weights, our own)."""
    for key in [k for k in state_dict if k.startswith(prefix)]:
        rest = key[len(prefix):]
        if rest.startswith(_ARCH):
            continue
        value = state_dict.pop(key)
        state_dict[prefix + _ARCH + rest] = value
        if rest.startswith(_OWN_PREPROCESSOR):
            state_dict[key] = value
