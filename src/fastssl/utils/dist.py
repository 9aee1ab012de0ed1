"""torch.distributed helpers, as in ``lightly.utils.dist``.

Every helper also works when torch.distributed is not initialized: the process
is then rank 0 of a world of size 1.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Tuple, TypeVar

import torch
import torch.distributed as dist

R = TypeVar("R")


class GatherLayer(torch.autograd.Function):
    """All-gathers a tensor from every process, keeping the backward pass.

    Forward returns one tensor per rank. Backward sums the gradients that all
    ranks computed for each gathered tensor and hands every rank the gradient of
    its own input, so that a loss computed on gathered tensors trains every
    process as if the whole global batch were local.
    """

    @staticmethod
    def forward(ctx: Any, input: torch.Tensor) -> Tuple[torch.Tensor, ...]:  # type: ignore[override]
        output = [torch.empty_like(input) for _ in range(dist.get_world_size())]
        dist.all_gather(output, input)
        return tuple(output)

    @staticmethod
    def backward(ctx: Any, *grads: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        all_gradients = torch.stack(grads)
        dist.all_reduce(all_gradients)
        return all_gradients[dist.get_rank()]


def rank() -> int:
    """Returns the rank of the current process (0 when not distributed)."""
    return dist.get_rank() if dist.is_initialized() else 0


def world_size() -> int:
    """Returns the number of distributed processes (1 when not distributed)."""
    return dist.get_world_size() if dist.is_initialized() else 1


def gather(input: torch.Tensor) -> Tuple[torch.Tensor, ...]:
    """Gathers ``input`` from all processes; gradients flow back to every rank.

    Args:
        input: The tensor of this process. Every process must pass a tensor of
            the same shape and dtype.

    Returns:
        A tuple with one tensor per rank, in rank order.

    Examples:
        >>> # inside an initialized process group
        >>> out = torch.cat(gather(local_embeddings), dim=0)
    """
    return GatherLayer.apply(input)  # type: ignore[no-any-return]


def eye_rank(n: int, device: Optional[torch.device] = None) -> torch.Tensor:
    """Returns an ``(n, n * world_size)`` boolean matrix with this rank's diagonal set.

    Equal to ``torch.eye(n, dtype=torch.bool)`` when not distributed. For rank 1
    of 4 processes and n=3 the True entries sit in columns 3..5.

    Args:
        n: Size of the square block of a single process.
        device: Device of the index computation (the mask itself is built on the
            CPU, as Lightly does).
    """
    rows = torch.arange(n, device=device, dtype=torch.long)
    cols = rows + rank() * n
    diag_mask = torch.zeros((n, n * world_size()), dtype=torch.bool)
    diag_mask[(rows, cols)] = True
    return diag_mask


def rank_zero_only(fn: Callable[..., R]) -> Callable[..., Optional[R]]:
    """Decorator: runs ``fn`` only on the process with rank 0, returns None elsewhere.

    Examples:
        >>> @rank_zero_only
        ... def log(message: str) -> None:
        ...     print(message)
    """

    def wrapped(*args: Any, **kwargs: Any) -> Optional[R]:
        if rank() == 0:
            return fn(*args, **kwargs)
        return None

    return wrapped


@rank_zero_only
def print_rank_zero(*args: Any, **kwargs: Any) -> None:
    """``print`` that only runs on the process with rank 0."""
    print(*args, **kwargs)
