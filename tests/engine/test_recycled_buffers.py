"""RecycledBuffers reuses a batch's memory only once nothing refers to it."""

import numpy as np
import pytest
import torch

from fastssl.data.backends.buffers import RecycledBuffers

SHAPE = (4, 3, 8, 8)


def address(tensor: torch.Tensor) -> int:
    return tensor.untyped_storage().data_ptr()


def test_dropped_tensor_memory_is_reused():
    buffers = RecycledBuffers(per_shape=2)
    first = buffers.empty(SHAPE, torch.float32)
    where = address(first)
    del first
    again = buffers.empty(SHAPE, torch.float32)
    assert address(again) == where
    assert again.shape == SHAPE and again.dtype == torch.float32


@pytest.mark.parametrize("keep", [
    lambda t: t,  # the tensor itself
    lambda t: t[1:3],  # a slice shares the storage
    lambda t: t.view(-1),
    lambda t: t.numpy(),
    lambda t: list(t.unbind(0)),  # what a DataLoader-style consumer might keep
])
def test_memory_still_referenced_is_not_handed_out(keep):
    buffers = RecycledBuffers(per_shape=2)
    first = buffers.empty(SHAPE, torch.float32)
    first.fill_(7.0)
    kept = keep(first)
    where = address(first)
    del first
    second = buffers.empty(SHAPE, torch.float32)
    assert address(second) != where
    second.fill_(0.0)
    assert float(torch.as_tensor(kept[0] if isinstance(kept, list) else kept).sum()) != 0.0  # untouched


def test_shapes_and_dtypes_do_not_mix():
    buffers = RecycledBuffers(per_shape=2)
    a = buffers.empty(SHAPE, torch.float32)
    where = address(a)
    del a
    assert address(buffers.empty((3, 3, 8, 8), torch.float32)) != where
    b = buffers.empty(SHAPE, torch.uint8)
    assert b.dtype == torch.uint8 and address(b) != where


def test_at_most_per_shape_arrays_are_kept():
    buffers = RecycledBuffers(per_shape=2)
    live = [buffers.empty(SHAPE, torch.float32) for _ in range(3)]
    addresses = {address(t) for t in live}
    assert len(addresses) == 3
    live.clear()
    reused = [buffers.empty(SHAPE, torch.float32) for _ in range(3)]
    # two came back from the pool; the third is new memory
    assert len({address(t) for t in reused[:2]} & addresses) == 2


def test_least_recently_requested_shape_is_dropped_beyond_the_limit():
    buffers = RecycledBuffers(per_shape=2, shapes=2)
    where = {}
    for shape in (SHAPE, (3, 3, 8, 8)):
        tensor = buffers.empty(shape, torch.float32)
        where[shape] = address(tensor)
        del tensor
    assert address(buffers.empty(SHAPE, torch.float32)) == where[SHAPE]  # still kept, now the most recent
    buffers.empty((2, 3, 8, 8), torch.float32)  # a third shape drops (3, 3, 8, 8)
    assert list(buffers._arrays) == [(SHAPE, np.dtype(np.float32)), ((2, 3, 8, 8), np.dtype(np.float32))]


def test_per_shape_and_shapes_must_be_positive():
    with pytest.raises(ValueError, match="per_shape must be positive, got 0"):
        RecycledBuffers(per_shape=0)
    with pytest.raises(ValueError, match="shapes must be positive, got 0"):
        RecycledBuffers(per_shape=1, shapes=0)
