"""The training loop: FastLoader -> method -> loss -> optimizer, with checkpoints and logs.

One optimizer step takes ``accumulate`` batches. Checkpoints are written at the
end of every epoch and every ``checkpoint_every`` steps; ``resume=True``
continues from the last one exactly as if the run had not stopped: the loader
resumes at the next batch of the epoch (its augmentations are counter-based),
and every generator, buffer and optimizer state is restored, per rank.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Union

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from fastssl.data import FastLoader, LightlyDataset
from fastssl.train.backbones import Backbone, build_backbone, wrap_backbone
from fastssl.train.checkpoint import (CHECKPOINT_NAME, CUSTOM_BACKBONE, check_resumable, load_checkpoint,
                                      rank_state_path, rng_state, save_checkpoint, set_rng_state)
from fastssl.train.config import TrainConfig
from fastssl.train.distributed import Process, process_group
from fastssl.train.methods import SSLMethod, build_method
from fastssl.train.optim import build_optimizer, resolve_recipe
from fastssl.train.progress import EpochMeter, ProgressBar, epoch_row, write_log

_AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass
class TrainState:
    """Where a run stands after an optimizer step (what ``on_step_end`` receives)."""

    epoch: int
    step: int
    total_steps: int
    loss: float


@dataclass
class TrainResult:
    """The trained method (backbone, heads, loss), the per-epoch log and the checkpoint file."""

    method: SSLMethod
    history: List[Dict[str, Any]]
    checkpoint: Path


def train(config: Optional[TrainConfig] = None, *, backbone: Union[str, nn.Module, None] = None,
          transform: Any = None, resume: bool = False, on_step_end: Optional[Callable[[TrainState], None]] = None,
          **settings: Any) -> TrainResult:
    """Trains a self-supervised method on a folder of images.

    Args:
        config: The run's settings; or pass them as keyword arguments (``settings``).
        backbone: A backbone name (as ``config.backbone``) or a user module (images -> features).
        transform: The training transform, e.g. ``SimCLRTransform(input_size=32, gaussian_blur=0.0)``
            for CIFAR-sized images; default: the method's paper preset at ``config.input_size``.
        resume: Continue from the checkpoint in ``config.out`` (a fresh run if there is none).
        on_step_end: Called after every optimizer step (monitoring, custom stopping).

    Returns:
        The trained method, the per-epoch log and the checkpoint path.

    Example:
        >>> result = train(method="simclr", data="images/", backbone="resnet18", epochs=10,
        ...                batch_size=128, input_size=96, out="runs/simclr")
        >>> torch.save(result.method.backbone.state_dict(), "backbone.pt")
    """
    if config is not None and settings:
        raise ValueError("pass either a TrainConfig or keyword settings, not both")
    config = config or TrainConfig(**settings)
    if isinstance(backbone, str):
        config, backbone = dataclasses.replace(config, backbone=backbone), None
    elif backbone is not None:
        config = dataclasses.replace(config, backbone=f"{CUSTOM_BACKBONE}{type(backbone).__name__}")
    with process_group(config.device) as process:
        return _Run(config, process, backbone, transform).fit(resume, on_step_end)


class _Run:
    """One training run on one process; holds the model, loader, optimizer and counters."""

    def __init__(self, config: TrainConfig, process: Process, user_backbone: Optional[nn.Module], transform: Any):
        if config.precision == "fp16" and process.device.type != "cuda":
            raise ValueError("precision 'fp16' needs a CUDA device; use 'bf16' on the CPU")
        if config.on_error == "skip" and process.world_size > 1:
            raise ValueError("on_error='skip' needs a single process: ranks would get different batch counts "
                             "and sizes; remove the bad files or train on one process")
        self.config, self.process = config, process
        self.out = Path(config.out)
        self.checkpoint_path = self.out / CHECKPOINT_NAME
        torch.manual_seed(config.seed)  # the same initial weights on every rank
        self.method = self._build_method(user_backbone)
        self.loader = self._build_loader(transform or self.method.transform(config.input_size))
        self.steps_per_epoch = math.ceil(len(self.loader) / config.accumulate)
        self.recipe = resolve_recipe(self.method, config)
        self.optimizer, self.schedule = build_optimizer(self.method, self.recipe, config, process.world_size,
                                                        self.steps_per_epoch)
        self.scaler = torch.amp.GradScaler(process.device.type, enabled=config.precision == "fp16")
        self.model = self._parallel(self.method)
        self.epoch, self.step = 0, 0
        self.start_batch = 0  # of the current epoch: non-zero when resuming mid-epoch
        self.meter = EpochMeter()
        self.history: List[Dict[str, Any]] = []

    # -- building --------------------------------------------------------------------

    def _build_method(self, user_backbone: Optional[nn.Module]) -> SSLMethod:
        config = self.config
        backbone: Backbone = (wrap_backbone(user_backbone, config.input_size) if user_backbone is not None
                              else build_backbone(config.backbone, config.input_size))
        method = build_method(config.method, backbone, gather_distributed=self.process.world_size > 1,
                              **config.method_kwargs)
        if self.process.world_size > 1 and self.process.device.type == "cuda" and method.uses_sync_batchnorm:
            # SyncBatchNorm runs on GPUs only: CPU (gloo) ranks keep per-rank statistics.
            method = nn.SyncBatchNorm.convert_sync_batchnorm(method)
        method = method.to(self.process.device)
        if config.channels_last:
            method = method.to(memory_format=torch.channels_last)
        if config.compile:
            method.backbone.compile()  # in place: state_dict keys stay those of the backbone
        return method

    def _build_loader(self, transform: Any) -> FastLoader:
        config, process = self.config, self.process
        dataset = LightlyDataset(config.data, transform=transform)
        loader = FastLoader(dataset, batch_size=config.batch_size, shuffle=True, drop_last=True,
                            num_threads=config.num_threads, backend=config.backend,
                            device=process.device if process.device.type == "cuda" else None, seed=config.seed,
                            on_error=config.on_error, rank=process.rank, world_size=process.world_size)
        if len(loader) == 0:
            raise ValueError(f"'{config.data}' has {len(dataset)} images: fewer than one batch of "
                             f"{config.batch_size} per process ({process.world_size} processes)")
        return loader

    def _parallel(self, method: SSLMethod) -> nn.Module:
        if self.process.world_size == 1:
            return method
        device_ids = [self.process.device.index] if self.process.device.type == "cuda" else None
        # Buffers stay per rank: memory banks hold each rank's own keys. Newer torch deprecates
        # broadcast_buffers but has no other way yet to skip syncing buffers at init.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*broadcast_buffers", category=FutureWarning)
            return DistributedDataParallel(method, device_ids=device_ids, broadcast_buffers=False)

    # -- checkpoints -----------------------------------------------------------------

    def _rank_state(self) -> Dict[str, Any]:
        # state_dict() leaves out non-persistent buffers, such as Lightly's memory banks
        return {"step": self.step, "buffers": dict(self.method.named_buffers()), "rng": rng_state()}

    def _save(self) -> None:
        if not self.process.is_main:
            save_checkpoint(rank_state_path(self.checkpoint_path, self.process.rank), self._rank_state())
            return
        save_checkpoint(self.checkpoint_path, {
            "config": self.config.to_dict(), "world_size": self.process.world_size,
            "method": self.method.state_dict(), "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict(), "epoch": self.epoch, "loader": self.loader.state_dict(),
            "history": self.history, "meter": self.meter.state(), **self._rank_state(),
        })

    def _checkpoint_exists(self) -> bool:
        """Rank 0's answer on every rank, so that all ranks resume or none does."""
        exists = [self.checkpoint_path.is_file()]
        if self.process.world_size > 1:
            dist.broadcast_object_list(exists, src=0)
        return bool(exists[0])

    def _restore(self) -> None:
        state = load_checkpoint(self.checkpoint_path)
        check_resumable(state, self.config.to_dict(), self.process.world_size, self.checkpoint_path)
        self.method.load_state_dict(state["method"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scaler.load_state_dict(state["scaler"])
        self.epoch, self.step = state["epoch"], state["step"]
        self.history = list(state["history"])
        self.meter = EpochMeter.from_state(state["meter"])
        loader_state = state["loader"]
        self.start_batch = loader_state["batch"] if loader_state["epoch"] == self.epoch else 0
        rank_state = state
        if not self.process.is_main:
            rank_state = load_checkpoint(rank_state_path(self.checkpoint_path, self.process.rank), kind="rank")
            if rank_state["step"] != self.step:
                raise ValueError(f"rank {self.process.rank}'s state is from step {rank_state['step']}, "
                                 f"the checkpoint from step {self.step}: the run stopped while saving")
        buffers = dict(self.method.named_buffers())
        for name, value in rank_state["buffers"].items():
            buffers[name].copy_(value)
        set_rng_state(rank_state["rng"])
        if self.loader.backend == "python":
            warnings.warn("resuming on the reference data path: the remaining batches hold the same images, but "
                          "their augmentations come from DataLoader workers and differ from the interrupted run's",
                          UserWarning, stacklevel=3)

    # -- the loop --------------------------------------------------------------------

    def fit(self, resume: bool, on_step_end: Optional[Callable[[TrainState], None]]) -> TrainResult:
        if resume and self._checkpoint_exists():
            self._restore()
        self.method.train()
        while self.epoch < self.config.epochs:
            self._train_epoch(on_step_end)
            self.history.append(epoch_row(self.epoch, self.step, self.schedule.lr_at(max(self.step - 1, 0)),
                                          self.meter))
            self.epoch += 1
            self.meter = EpochMeter()
            self._save()
            if self.process.is_main:
                write_log(self.out, self.history)
        return TrainResult(self.method, self.history, self.checkpoint_path)

    def _train_epoch(self, on_step_end: Optional[Callable[[TrainState], None]]) -> None:
        start, self.start_batch = self.start_batch, 0
        self.loader.load_state_dict({"epoch": self.epoch, "batch": start})
        batches = len(self.loader)
        bar = ProgressBar(self.epoch, self.config.epochs, batches, start,
                          self.config.progress and self.process.is_main)
        open_group = False  # gradients accumulated since the last optimizer step
        waited_since = time.perf_counter()
        for batch in self.loader:
            got_batch = time.perf_counter()
            # The loader's position, not a count of batches: batches whose files were all skipped are not yielded.
            index = self.loader.state_dict()["batch"] - 1
            group_start = index - index % self.config.accumulate
            group_size = min(self.config.accumulate, batches - group_start)
            closes_group = index + 1 == group_start + group_size
            loss = self._forward_backward(batch[0], group_size, sync=closes_group)
            open_group = not closes_group
            if closes_group:
                self._optimizer_step()
            images = batch[0][0].shape[0] * self.process.world_size
            self.meter.add(loss, images, got_batch - waited_since, time.perf_counter() - waited_since)
            bar.update(self.meter)
            if closes_group:
                self._after_step(on_step_end, loss, last_of_epoch=index + 1 == batches)
            waited_since = time.perf_counter()
        if open_group:  # the epoch's last batches were skipped: step with what was accumulated
            self._optimizer_step()
        bar.close()

    def _after_step(self, on_step_end: Optional[Callable[[TrainState], None]], loss: torch.Tensor,
                    last_of_epoch: bool) -> None:
        every = self.config.checkpoint_every
        if every and self.step % every == 0 and not last_of_epoch:  # the epoch's end saves anyway
            self._save()
        if on_step_end is not None:
            on_step_end(TrainState(self.epoch, self.step, self.schedule.total_steps, float(loss)))

    def _forward_backward(self, views: List[torch.Tensor], group_size: int, sync: bool) -> torch.Tensor:
        device = self.process.device
        views = [view.to(device, non_blocking=True) for view in views]
        if self.config.channels_last:
            views = [view.contiguous(memory_format=torch.channels_last) for view in views]
        # Gradients are all-reduced once per optimizer step, on its last batch.
        no_sync = self.model.no_sync() if isinstance(self.model, DistributedDataParallel) and not sync \
            else contextlib.nullcontext()
        with no_sync:
            with torch.autocast(device.type, dtype=_AUTOCAST_DTYPES.get(self.config.precision),
                                enabled=self.config.precision != "32"):
                loss = self.model(views, self.epoch)
            self.scaler.scale(loss / group_size).backward()
        return loss.detach()

    def _optimizer_step(self) -> None:
        self.method.on_after_backward(self.epoch)
        if self.recipe.clip_grad_norm is not None:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.method.parameters(), self.recipe.clip_grad_norm)
        self.schedule.apply(self.optimizer, self.step)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        self.method.on_after_step(self.step, self.schedule.total_steps)
        self.step += 1
