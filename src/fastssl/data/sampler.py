"""Which samples a rank loads in an epoch, and in which batches.

Shuffling is a pure function of (seed, epoch), the same on every rank, so the
ranks' interleaved shards partition the dataset: each sample is loaded exactly
once per epoch across ranks (unlike DistributedSampler, nothing is repeated to
even out the shards). Every rank still gets the same number of batches, which
DDP needs (a rank that runs out early leaves the others waiting in all-reduce):
a shard one sample short of another batch ends with a batch of one, and with
drop_last=True every rank stops after the batches the smallest shard fills.
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


def shard_indices(num_samples: int, *, shuffle: bool, seed: int, epoch: int, rank: int, world_size: int,
                  chunk: int = 1) -> np.ndarray:
    """The sample indices of ``rank`` in ``epoch``, in loading order.

    With ``chunk`` > 1 the shuffle moves runs of ``chunk`` consecutive samples
    (video frames) instead of single samples: batches then hold a few runs of
    neighbouring frames, which a video reader decodes once per group of
    pictures, and every sample is still loaded once per epoch. Each rank then
    takes a contiguous part of the order (as long as its interleaved share would
    be), so that runs stay whole on one rank.
    """
    if chunk <= 1:
        order = np.random.default_rng([seed, epoch]).permutation(num_samples) if shuffle else np.arange(num_samples)
        return order[rank::world_size]
    if shuffle:
        runs = np.random.default_rng([seed, epoch]).permutation(-(-num_samples // chunk))
        order = (runs[:, None] * chunk + np.arange(chunk)[None, :]).ravel()
        order = order[order < num_samples]
    else:
        order = np.arange(num_samples)
    # Ranks before this one take num_samples // world_size samples each, the first remainder ones one more.
    start = rank * (num_samples // world_size) + min(rank, num_samples % world_size)
    return order[start:start + len(range(rank, num_samples, world_size))]


def batches(indices: np.ndarray, batch_size: int, drop_last: bool, num_samples: int, world_size: int) -> List[np.ndarray]:
    """One rank's ``indices`` cut into batches; every rank of the world gets as many batches."""
    if drop_last:
        count = (num_samples // world_size) // batch_size
        return [indices[i * batch_size : (i + 1) * batch_size] for i in range(count)]
    cuts = list(range(batch_size, len(indices), batch_size))
    count = -(-(-(-num_samples // world_size)) // batch_size)  # batches of the largest shard
    if len(cuts) + 1 < count and batch_size > 1:
        cuts.append(len(indices) - 1)  # one sample short of the largest shard: end with a batch of one
    return np.split(indices, cuts) if len(indices) else []
