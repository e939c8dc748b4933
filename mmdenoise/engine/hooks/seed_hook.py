"""Per-iteration seeding, so that a resumed run repeats an uninterrupted one exactly."""
import random
from functools import partial
from typing import Optional

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmdenoise.registry import HOOKS

__all__ = ['IterationSeedHook', 'iteration_seed', 'worker_seed', 'epoch_worker_init_fn']


def _mix(*values: int) -> int:
    """A 31-bit seed from integers (numpy's SeedSequence: well mixed, platform independent)."""
    return int(np.random.SeedSequence([int(v) % (2**63) for v in values]).generate_state(1)[0]
               & 0x7FFFFFFF)


def iteration_seed(seed: int, iteration: int, rank: int = 0) -> int:
    """The seed of training iteration ``iteration`` (0-based) on ``rank``."""
    return _mix(seed, iteration, rank, 0x5EED)


def worker_seed(seed: int, epoch: int, worker: int) -> int:
    """The seed of dataloader worker ``worker`` (``rank * num_workers + worker_id``) in
    ``epoch``."""
    return _mix(seed, epoch, worker, 0x3A7A)


def _seed_all(value: int) -> None:
    random.seed(value)
    np.random.seed(value)
    torch.manual_seed(value)


def epoch_worker_init_fn(worker_id: int, seed: int, rank: int, num_workers: int,
                         epoch: Optional[int] = None, sampler=None) -> None:
    """Dataloader ``worker_init_fn``: seed random / numpy / torch of the worker from
    ``(seed, epoch, rank, worker_id)``. ``epoch`` is given by :class:`IterationSeedHook` for
    epoch-based loops; otherwise it is the sampler's (``DefaultSampler.epoch``, which MMEngine's
    loops set before each pass), read when the worker starts."""
    if epoch is None:
        epoch = int(getattr(sampler, 'epoch', 0) or 0)
    _seed_all(worker_seed(seed, epoch, rank * num_workers + worker_id))


class _SeededIterator:
    """Wraps the iteration-based loop's dataloader iterator: reseeds before every fetch ``k``
    from ``(seed, k)``. Fetch ``k`` is the batch of iteration ``k``, also while MMEngine skips the
    batches of a resumed run, so the first batch after a resume is drawn as in an uninterrupted
    run whatever the skipping consumed."""

    def __init__(self, iterator, hook, runner, start: int = 0):
        self._iterator = iterator
        self._hook = hook
        self._runner = runner
        self._count = start

    def __iter__(self):
        return self

    def __next__(self):
        self._hook._seed(self._runner, self._count)
        self._count += 1
        return next(self._iterator)

    def __getattr__(self, name):
        return getattr(self._iterator, name)


@HOOKS.register_module()
class IterationSeedHook(Hook):
    """Make every training iteration's random draws a function of ``(seed, iteration)``.

    MMEngine restores the seed on ``--resume`` but not the random state, so the batch
    augmentation and diffusion noise drawn after a resume differ from an uninterrupted run. This
    hook seeds random / numpy / torch with :func:`iteration_seed` *before each batch is drawn*
    (batch augmentation runs inside ``next(dataloader)`` when ``num_workers=0``):

    * epoch-based loops: in ``before_train_epoch`` for the epoch's first iteration and in
      ``after_train_iter`` for the next one (lowest priority: after every other hook);
    * iteration-based loops: the loop's dataloader iterator is wrapped to reseed before every
      fetch (after any validation), including the batches MMEngine fetches to skip the trained
      ones on resume.

    The draws of an iteration (augmentation, noise, dropout) then follow from the seed, so a run
    resumed from any checkpoint repeats an uninterrupted run bit for bit.

    Dataloader workers (``num_workers > 0``): MMEngine seeds each worker with
    ``seed + worker_id + rank * num_workers``, the same every epoch, and persistent workers carry
    their state from epoch to epoch (not restored by a resume). This hook installs
    :func:`epoch_worker_init_fn` (seeds from ``(seed, epoch, rank, worker_id)``) and, in
    epoch-based loops, restarts persistent workers at each epoch (logged once), so each epoch's
    augmentation is a function of ``(seed, epoch)``. A dataloader whose config names its own
    ``worker_init_fn`` keeps it.

    The sampler order is MMEngine's: ``DefaultSampler`` shuffles from ``seed + epoch``, restored
    at epoch boundaries, and the iteration-based loop skips the trained batches of the epoch.

    Args:
        seed: base seed; default: the runner's seed (``randomness.seed``, restored from the
            checkpoint on resume).
        rank_dependent: different draws on every rank (the seed mixes in the rank; a run resumed
            with the same number of processes repeats itself).
    """

    priority = 'LOWEST'

    def __init__(self, seed: Optional[int] = None, rank_dependent: bool = True):
        self.seed = seed
        self.rank_dependent = rank_dependent
        self._restart_logged = False

    def _base(self, runner) -> int:
        return int(self.seed if self.seed is not None else (runner.seed or 0))

    def _seed(self, runner, iteration: int) -> None:
        rank = get_rank() if self.rank_dependent else 0
        _seed_all(iteration_seed(self._base(runner), iteration, rank))

    @staticmethod
    def _epoch_based(runner) -> bool:
        return not hasattr(runner.train_loop, 'dataloader_iterator')

    def before_train(self, runner) -> None:
        loop = runner.train_loop
        loader = getattr(loop, 'dataloader', None)
        if (loader is not None and getattr(loader, 'num_workers', 0) > 0
                and self._default_worker_init(loader)):
            sampler = getattr(loader, 'sampler', None)
            if not hasattr(sampler, 'epoch') and getattr(loader, 'batch_sampler', None):
                sampler = getattr(loader.batch_sampler, 'sampler', sampler)
            loader.worker_init_fn = partial(
                epoch_worker_init_fn, seed=self._base(runner), rank=get_rank(),
                num_workers=loader.num_workers, sampler=sampler)
        if not self._epoch_based(runner) and not isinstance(loop.dataloader_iterator,
                                                            _SeededIterator):
            loop.dataloader_iterator = _SeededIterator(loop.dataloader_iterator, self, runner)

    @staticmethod
    def _default_worker_init(loader) -> bool:
        """Whether the loader has MMEngine's default worker_init_fn (or ours, or none)."""
        from mmengine.dataset import worker_init_fn as mmengine_init
        fn = loader.worker_init_fn
        func = getattr(fn, 'func', fn)
        return fn is None or func is mmengine_init or func is epoch_worker_init_fn

    def before_train_epoch(self, runner) -> None:
        if not self._epoch_based(runner):
            return  # the wrapped iterator seeds every fetch
        loader = runner.train_loop.dataloader
        if getattr(loader, 'num_workers', 0) > 0 and self._default_worker_init(loader):
            loader.worker_init_fn = partial(
                epoch_worker_init_fn, seed=self._base(runner), rank=get_rank(),
                num_workers=loader.num_workers, epoch=runner.epoch)
            if getattr(loader, 'persistent_workers', False) and getattr(
                    loader, '_iterator', None) is not None:
                # start this epoch's workers afresh, seeded from (seed, epoch)
                iterator, loader._iterator = loader._iterator, None
                iterator._shutdown_workers()
                if not self._restart_logged:
                    runner.logger.info(
                        'IterationSeedHook: restarting the persistent dataloader workers at '
                        'every epoch, so that their random state is a function of (seed, epoch) '
                        '(bit-exact --resume)')
                    self._restart_logged = True
        self._seed(runner, runner.iter)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self._epoch_based(runner):
            self._seed(runner, runner.iter + 1)  # the next iteration's batch is drawn next
