"""Which samples a rank loads in an epoch, and in which batches.

Shuffling is a pure function of (seed, epoch), the same on every rank, so the
ranks' interleaved shards partition the dataset: each sample is loaded exactly
once per epoch across ranks (unlike DistributedSampler, nothing is repeated to
even out the shards; with drop_last=False the last batches may differ in size).
"""

from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np
import torch.distributed as dist


def resolve_rank(rank: Optional[int], world_size: Optional[int]) -> Tuple[int, int]:
    """(rank, world_size), taken from torch.distributed when not given."""
    initialized = dist.is_available() and dist.is_initialized()
    if world_size is None:
        world_size = dist.get_world_size() if initialized else 1
    if rank is None:
        rank = dist.get_rank() if initialized else 0
    if not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"world_size must be a positive int, got {world_size!r}")
    if not isinstance(rank, int) or not 0 <= rank < world_size:
        raise ValueError(f"rank must be an int in [0, {world_size}), got {rank!r}")
    return rank, world_size


def shard_indices(num_samples: int, *, shuffle: bool, seed: int, epoch: int, rank: int, world_size: int) -> np.ndarray:
    """The sample indices of ``rank`` in ``epoch``, in loading order."""
    order = np.random.default_rng([seed, epoch]).permutation(num_samples) if shuffle else np.arange(num_samples)
    return order[rank::world_size]


def batches(indices: np.ndarray, batch_size: int, drop_last: bool) -> List[np.ndarray]:
    """``indices`` cut into batches of ``batch_size`` (the last one shorter unless dropped)."""
    stop = len(indices) - len(indices) % batch_size if drop_last else len(indices)
    return [indices[start : min(start + batch_size, stop)] for start in range(0, stop, batch_size)]
