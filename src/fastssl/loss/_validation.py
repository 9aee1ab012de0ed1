"""Input checks shared by the losses.

Every check looks at shapes and dtypes only, never at values, so none of them
synchronizes with the GPU. Each raises a ValueError that names the argument.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor


def check_float(name: str, tensor: object) -> Tensor:
    """Returns ``tensor`` if it is a floating point tensor, else raises ValueError."""
    if not isinstance(tensor, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
    if not tensor.is_floating_point():
        raise ValueError(
            f"{name} must be a floating point tensor, got dtype {tensor.dtype}"
        )
    return tensor


_SHAPES = {2: "(batch_size, dim)", 3: "(batch_size, num_views, dim)"}


def check_batch(name: str, tensor: object, ndim: int = 2, min_batch: int = 1) -> Tensor:
    """Returns ``tensor`` if it is a float batch of ``ndim`` dims and ``min_batch`` rows.

    Args:
        name: Argument name used in the message.
        tensor: The value to check.
        ndim: Required number of dimensions (2 or 3).
        min_batch: Smallest allowed size of dimension 0.

    Raises:
        ValueError: Naming ``name`` when a condition does not hold.
    """
    tensor = check_float(name, tensor)
    if tensor.dim() != ndim:
        raise ValueError(
            f"{name} must have shape {_SHAPES[ndim]}, got {tuple(tensor.shape)}"
        )
    if tensor.shape[0] < min_batch:
        raise ValueError(
            f"{name} must have a batch size of at least {min_batch}, "
            f"got {tensor.shape[0]}"
        )
    return tensor


def check_same_shape(name0: str, tensor0: Tensor, name1: str, tensor1: Tensor) -> None:
    """Raises ValueError unless both tensors have the same shape."""
    if tensor0.shape != tensor1.shape:
        raise ValueError(
            f"{name0} and {name1} must have the same shape, got "
            f"{tuple(tensor0.shape)} and {tuple(tensor1.shape)}"
        )


def check_views(name: str, views: object, min_views: int = 1) -> Sequence[Tensor]:
    """Raises ValueError unless ``views`` is a sequence of same-shape (batch, dim) tensors.

    Returns:
        ``views`` as a sequence.
    """
    if isinstance(views, Tensor) or not isinstance(views, Sequence):
        raise ValueError(
            f"{name} must be a list of tensors, got {type(views).__name__}"
        )
    if len(views) < min_views:
        raise ValueError(
            f"{name} must hold at least {min_views} view(s), got {len(views)}"
        )
    for index, view in enumerate(views):
        check_batch(f"{name}[{index}]", view)
        check_same_shape(f"{name}[0]", views[0], f"{name}[{index}]", view)
    return views


def check_temperature(name: str, value: float, eps: float = 1e-8) -> None:
    """Raises ValueError when ``abs(value) < eps`` (division by zero), as Lightly does."""
    if abs(value) < eps:
        raise ValueError(f"Illegal {name}: abs({value}) < {eps}")


def check_distributed_available(name: str, enabled: bool) -> None:
    """Raises ValueError when ``enabled`` but torch.distributed is missing."""
    if enabled and not torch.distributed.is_available():
        raise ValueError(
            f"{name} is True but torch.distributed is not available. Please set "
            f"{name}=False or install a torch version with distributed support."
        )
