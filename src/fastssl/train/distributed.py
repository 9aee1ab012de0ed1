"""The process group of a run launched with torchrun (or set up by the caller)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Iterator

import torch
import torch.distributed as dist

from fastssl.utils.dist import rank, world_size


@dataclass(frozen=True)
class Process:
    """This process's place in the run and its device."""

    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def resolve_device(name: str) -> torch.device:
    """"auto" -> this rank's GPU when CUDA is available, else the CPU; other names as given."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(name)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but CUDA is not available")
    return device


@contextlib.contextmanager
def process_group(device_name: str) -> Iterator[Process]:
    """Joins the torchrun process group (WORLD_SIZE > 1) for the run, or uses one already set up.

    A group created here (NCCL on GPUs, gloo on CPUs) is destroyed on exit.
    """
    device = resolve_device(device_name)
    created = False
    if not dist.is_initialized() and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        created = True
    if device.type == "cuda":
        torch.cuda.set_device(device)
    try:
        yield Process(rank(), world_size(), device)
    finally:
        if created:
            dist.destroy_process_group()
