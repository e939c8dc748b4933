"""Checkpoint saving that never leaves a run without a loadable checkpoint."""
import os
import os.path as osp
from typing import List

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook

from mmdenoise.registry import HOOKS
from mmdenoise.utils.io import atomic_write, remove_stale_temp_files, write_text_atomic

PENDING_KEY = 'ckpt_pending_removal'


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """MMEngine's :class:`~mmengine.hooks.CheckpointHook` (same arguments, files and
    ``message_hub`` bookkeeping) with crash-safe saving.

    MMEngine's hook deletes the outdated checkpoint (``max_keep_ckpts``, the previous best) before
    it writes the new one, in place: a process killed during the save is left with the old
    checkpoint gone, a truncated new one under its final name and ``last_checkpoint`` naming a
    deleted file. Here, on a local file system:

    1. every checkpoint (periodic and best) is written to a temporary file in the same folder
       (``.<name>.<host>-p<pid>.<random>.tmp``, see :mod:`mmdenoise.utils.io`), flushed and renamed
       into place: the final name only ever holds a complete file;
    2. ``work_dir/last_checkpoint`` is replaced atomically, after the checkpoint it names is
       complete;
    3. the outdated checkpoints are deleted last. They are also recorded in the new checkpoint
       (``message_hub`` info ``ckpt_pending_removal``), so a process killed between 2 and 3
       deletes them when it resumes from that checkpoint;
    4. ``before_train`` removes the temporary files of killed writers.

    At any moment of a kill, the work folder holds the previous complete checkpoint, named by
    ``last_checkpoint``, or the new one. Other storage backends (``backend_args`` for object
    stores, whose uploads are atomic per object) use MMEngine's order unchanged.
    """

    def before_train(self, runner) -> None:
        super().before_train(runner)
        self._atomic = (self.file_client_args is None
                        and isinstance(self.file_backend, LocalBackend))
        if not self._atomic:
            runner.logger.warning(
                f'{type(self).__name__}: {self.out_dir} is not a local folder; checkpoints are '
                'saved as by MMEngine\'s CheckpointHook (not atomically)')
            return
        if is_main_process():
            for folder in sorted({self.out_dir, runner.work_dir}):
                for path in remove_stale_temp_files(folder):
                    runner.logger.info(f'removed {path}, left by a killed checkpoint writer')
        # a run killed after its last save but before deleting the outdated checkpoints
        self._remove_pending(runner)

    # ------------------------------------------------------------------ helpers

    def _live_checkpoints(self, runner) -> List[str]:
        """Checkpoints the bookkeeping still refers to (never deleted as outdated)."""
        live = [self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(step))
                for step in getattr(self, 'keep_ckpt_ids', [])]
        for key in ('last_ckpt', 'best_ckpt'):
            if runner.message_hub.runtime_info.get(key):
                live.append(runner.message_hub.get_info(key))
        for key, value in runner.message_hub.runtime_info.items():
            if key.startswith('best_ckpt_') and value:
                live.append(value)
        return [str(p) for p in live]

    def _remove(self, paths, runner) -> None:
        if not is_main_process():
            return
        for path in dict.fromkeys(paths):
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):  # checkpoints saved by deepspeed are folders
                self.file_backend.rmtree(path)

    def _save_atomically(self, runner, filename: str, **kwargs) -> None:
        """``runner.save_checkpoint(out_dir, filename, ...)``, through a temporary file."""
        final = osp.join(self.out_dir, filename)
        if not is_main_process():  # Runner.save_checkpoint is master_only
            runner.save_checkpoint(self.out_dir, filename, backend_args=self.backend_args,
                                   **kwargs)
            return
        with atomic_write(final) as tmp:
            runner.save_checkpoint(self.out_dir, osp.basename(tmp),
                                   backend_args=self.backend_args, **kwargs)
            if not osp.isfile(tmp) or os.path.getsize(tmp) == 0:
                raise RuntimeError(f'saving {final} wrote nothing (a runner whose '
                                   'save_checkpoint does not write the file itself?)')

    # ------------------------------------------------------------------ saving

    def _save_checkpoint_with_step(self, runner, step, meta):
        if not getattr(self, '_atomic', False):
            return super()._save_checkpoint_with_step(runner, step, meta)
        outdated = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids
                                            and self.keep_ckpt_ids[-1] == step):
            # the same bookkeeping as MMEngine's, saved in the new checkpoint; the files go last
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                old = self.keep_ckpt_ids.popleft()
                outdated.append(
                    self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(old)))
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        pending = list(runner.message_hub.runtime_info.get(PENDING_KEY) or []) + outdated
        runner.message_hub.update_info(PENDING_KEY, pending)

        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        self._save_atomically(
            runner,
            filename,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            **self.args)
        if is_main_process():
            write_text_atomic(osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        self._remove_pending(runner)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        """MMEngine's logic (same names, scores and message_hub keys), but the new best
        checkpoint is written atomically and the previous one deleted only afterwards (and after
        the periodic checkpoint that records the new best is saved again)."""
        if not getattr(self, '_atomic', False):
            return super()._save_best_checkpoint(runner, metrics)
        if not self.save_best:
            return
        if self.by_epoch:
            ckpt_filename = self.filename_tmpl.format(runner.epoch)
            cur_type, cur_time = 'epoch', runner.epoch
        else:
            ckpt_filename = self.filename_tmpl.format(runner.iter)
            cur_type, cur_time = 'iter', runner.iter
        meta = dict(epoch=runner.epoch, iter=runner.iter)
        if 'auto' in self.key_indicators:
            self._init_rule(self.rules, [list(metrics.keys())[0]])

        single = len(self.key_indicators) == 1
        updated = False
        for key_indicator, rule in zip(self.key_indicators, self.rules):
            score = metrics[key_indicator]
            score_key = 'best_score' if single else f'best_score_{key_indicator}'
            ckpt_key = 'best_ckpt' if single else f'best_ckpt_{key_indicator}'
            previous = self.best_ckpt_path if single else self.best_ckpt_path_dict[key_indicator]
            best = runner.message_hub.runtime_info.get(score_key, self.init_value_map[rule])
            if score is None or not self.is_better_than[key_indicator](score, best):
                continue
            updated = True
            runner.message_hub.update_info(score_key, score)
            name = f'best_{key_indicator}_{ckpt_filename}'.replace('/', '_')
            path = self.file_backend.join_path(self.out_dir, name)
            if single:
                self.best_ckpt_path = path
            else:
                self.best_ckpt_path_dict[key_indicator] = path
            runner.message_hub.update_info(ckpt_key, path)
            if previous and osp.abspath(previous) != osp.abspath(path):
                pending = list(runner.message_hub.runtime_info.get(PENDING_KEY) or [])
                runner.message_hub.update_info(PENDING_KEY, pending + [previous])
            self._save_atomically(runner, name, save_optimizer=False,
                                  save_param_scheduler=False, meta=meta, by_epoch=False)
            runner.logger.info(f'The best checkpoint with {score:0.4f} {key_indicator} at '
                               f'{cur_time} {cur_type} is saved to {name}.')
        if not updated:
            return
        if self.last_ckpt is not None:
            # save the periodic checkpoint again so that it records the new best (as MMEngine
            # does); the previous best is deleted after that
            self._save_checkpoint_with_step(runner, cur_time, meta)
        else:
            self._remove_pending(runner)

    def _remove_pending(self, runner) -> None:
        """Delete the outdated checkpoints recorded as pending (never one still referred to)."""
        pending = runner.message_hub.runtime_info.get(PENDING_KEY) or []
        if is_main_process() and pending:
            live = {osp.abspath(p) for p in self._live_checkpoints(runner)}
            for path in pending:
                if osp.abspath(path) in live:
                    continue
                self._remove([path], runner)
                runner.logger.info(f'removed the outdated checkpoint {path}')
        runner.message_hub.update_info(PENDING_KEY, [])
