"""Batch tensors that are reused once the training loop has dropped them.

A batch of 64 SimCLR views is two 38 MiB float32 tensors. Allocated fresh, each
one is a new mapping from the kernel, which faults in and zeroes every page on
first write: about a fifth of the engine's time on a 2-core machine. Reusing the
memory of batches nobody holds any more skips that.
"""

from __future__ import annotations

import sys
import threading
from typing import Dict, List, Tuple

import numpy as np
import torch

Key = Tuple[Tuple[int, ...], np.dtype]


class RecycledBuffers:
    """Hands out CPU tensors, reusing the memory of those no longer referenced.

    Each tensor is ``torch.from_numpy`` of an array the pool keeps. The tensor's
    storage (shared by every view or slice of it) holds a reference to that
    array, so the array's reference count falls back to the pool's own once the
    last tensor using the memory is gone; only then is it handed out again.

    Args:
        per_shape: Arrays kept for each shape and dtype; more may be live at once
            (a consumer that keeps its batches), but those are not kept for reuse.

    Example:
        >>> buffers = RecycledBuffers(per_shape=4)
        >>> a = buffers.empty((64, 3, 224, 224), torch.float32)
        >>> del a  # the next request of that shape reuses its memory
    """

    def __init__(self, per_shape: int):
        if per_shape < 1:
            raise ValueError(f"per_shape must be positive, got {per_shape}")
        self.per_shape = per_shape
        self._arrays: Dict[Key, List[np.ndarray]] = {}
        self._lock = threading.Lock()

    def empty(self, shape: Tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        """An uninitialized tensor of ``shape`` and ``dtype``, on reused memory when some is free."""
        np_dtype = torch.empty((), dtype=dtype).numpy().dtype
        key = (tuple(shape), np_dtype)
        with self._lock:
            arrays = self._arrays.setdefault(key, [])
            for array in arrays:
                # Referenced by the list, the loop variable and getrefcount's argument only.
                if sys.getrefcount(array) == 3:
                    return torch.from_numpy(array)
            array = np.empty(shape, dtype=np_dtype)
            if len(arrays) < self.per_shape:
                arrays.append(array)
            return torch.from_numpy(array)
