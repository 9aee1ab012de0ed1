"""Batch tensors that are reused once the training loop has dropped them.

A batch of 64 SimCLR views is two 38 MiB float32 tensors. Allocated fresh, each
one is a new mapping from the kernel, which faults in and zeroes every page on
first write: about a fifth of the engine's time on a 2-core machine. Reusing the
memory of batches nobody holds any more skips that.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections import OrderedDict
from typing import List, Tuple

import numpy as np
import torch

Key = Tuple[Tuple[int, ...], np.dtype]


def _references_while_scanning(arrays: List[np.ndarray]) -> int:
    """sys.getrefcount of the first array, read inside a loop as RecycledBuffers.empty reads it."""
    for array in arrays:
        return sys.getrefcount(array)
    return 0


# What an array in a pool list reads while being scanned when no tensor uses it
# (the list, the loop variable, getrefcount's argument): measured, because the
# count differs between Python versions.
_UNUSED_REFERENCES = _references_while_scanning([np.empty(0)])


@functools.lru_cache(maxsize=None)
def _numpy_dtype(dtype: torch.dtype) -> np.dtype:
    return torch.empty((), dtype=dtype).numpy().dtype


class RecycledBuffers:
    """Hands out CPU tensors, reusing the memory of those no longer referenced.

    Each tensor is ``torch.from_numpy`` of an array the pool keeps. The tensor's
    storage (shared by every view or slice of it) holds a reference to that
    array, so the array's reference count falls back to the pool's own once the
    last tensor using the memory is gone; only then is it handed out again.

    Args:
        per_shape: Arrays kept for each shape and dtype; more may be live at once
            (a consumer that keeps its batches), but those are not kept for reuse.
        shapes: Shapes (with dtypes) kept; the least recently requested one is
            dropped beyond that (video batches vary in size when files are skipped).

    Example:
        >>> buffers = RecycledBuffers(per_shape=4)
        >>> a = buffers.empty((64, 3, 224, 224), torch.float32)
        >>> del a  # the next request of that shape reuses its memory
    """

    def __init__(self, per_shape: int, shapes: int = 8):
        if per_shape < 1:
            raise ValueError(f"per_shape must be positive, got {per_shape}")
        if shapes < 1:
            raise ValueError(f"shapes must be positive, got {shapes}")
        self.per_shape = per_shape
        self.shapes = shapes
        self._arrays: "OrderedDict[Key, List[np.ndarray]]" = OrderedDict()
        self._lock = threading.Lock()

    def empty(self, shape: Tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        """An uninitialized tensor of ``shape`` and ``dtype``, on reused memory when some is free."""
        np_dtype = _numpy_dtype(dtype)
        key = (tuple(shape), np_dtype)
        with self._lock:
            arrays = self._arrays.setdefault(key, [])
            self._arrays.move_to_end(key)
            if len(self._arrays) > self.shapes:
                self._arrays.popitem(last=False)
            for array in arrays:
                if sys.getrefcount(array) == _UNUSED_REFERENCES:
                    return torch.from_numpy(array)
            array = np.empty(shape, dtype=np_dtype)
            if len(arrays) < self.per_shape:
                arrays.append(array)
            return torch.from_numpy(array)
