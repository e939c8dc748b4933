"""The alternating schedule of DenoiseRep (denoiser phase <-> backbone phase)."""
from typing import Sequence, Tuple

from mmengine.hooks import Hook

from mmdenoise.registry import HOOKS
from ._utils import unwrap_denoiserep


@HOOKS.register_module()
class DenoiseRepPhaseHook(Hook):
    """Switch a ``mode='alternating'`` DenoiseRepWrapper between its phases.

    The phase is a pure function of the epoch (or iteration): the ``phases`` cycle is repeated,
    e.g. the authors' ``(('denoiser', 10), ('backbone', 10))`` over 120 epochs. Because it is
    derived from the progress counter, a run resumed in the middle of a phase (``--resume``)
    continues in the same phase (applied in ``before_train``, after the checkpoint is loaded).

    Args:
        phases: ``(phase, length)`` pairs, phase in ``{'denoiser', 'backbone'}``.
        by_epoch: lengths count epochs (True) or iterations (False).
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self,
                 phases: Sequence[Tuple[str, int]] = (('denoiser', 10), ('backbone', 10)),
                 by_epoch: bool = True):
        self.phases = [(str(p), int(n)) for p, n in phases]
        if not self.phases or any(n <= 0 for _, n in self.phases):
            raise ValueError(f'DenoiseRepPhaseHook: phases need positive lengths, got {phases}')
        bad = {p for p, _ in self.phases} - {'denoiser', 'backbone'}
        if bad:
            raise ValueError(f'DenoiseRepPhaseHook: unknown phases {sorted(bad)}')
        self.by_epoch = by_epoch
        self.cycle = sum(n for _, n in self.phases)

    def phase_at(self, progress: int) -> str:
        """The phase of epoch (or iteration) ``progress`` (0-based)."""
        step = progress % self.cycle
        for phase, length in self.phases:
            if step < length:
                return phase
            step -= length
        raise AssertionError('unreachable')

    def _apply(self, runner, progress: int) -> None:
        model = unwrap_denoiserep(runner, type(self).__name__)
        phase = self.phase_at(progress)
        if phase != model.phase:
            runner.logger.info(f'DenoiseRep: {"epoch" if self.by_epoch else "iter"} {progress}: '
                               f'phase {model.phase} -> {phase}')
            model.set_phase(phase)

    def before_train(self, runner) -> None:
        if self.by_epoch and not getattr(runner.train_loop, '_max_epochs', None):
            raise ValueError('DenoiseRepPhaseHook(by_epoch=True) needs an epoch-based train '
                             'loop; set by_epoch=False for iteration-based training')
        self._apply(runner, runner.epoch if self.by_epoch else runner.iter)

    def before_train_epoch(self, runner) -> None:
        if self.by_epoch:
            self._apply(runner, runner.epoch)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if not self.by_epoch:
            self._apply(runner, runner.iter)
