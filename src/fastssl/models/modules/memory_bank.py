"""Memory banks of past embeddings, as in ``lightly.models.modules.memory_bank``
and ``lightly.models.modules.nn_memory_bank``."""

from __future__ import annotations

from typing import Optional, Sequence, Tuple, Union

import torch
from torch import Tensor
from torch.nn import Module

from fastssl.models.utils import concat_all_gather
from fastssl.utils import dist


class MemoryBankModule(Module):
    """A FIFO queue of past embeddings, used as extra negatives by contrastive losses.

    The bank starts as random unit vectors. Each update writes the newest batch
    at the pointer; a batch that would run past the end is cut there and the
    pointer wraps to 0 (the rest of that batch is dropped), as in Lightly.

    Args:
        size: ``(num_features, dim)``, or ``0`` to disable the bank.
        gather_distributed: If True, batches from all processes are gathered
            before each update, so the bank content does not depend on the
            number of processes.
        feature_dim_first: If True, :meth:`forward` returns the bank as
            (dim, num_features), else as (num_features, dim).

    Raises:
        ValueError: If ``size`` has a negative entry, is a non-zero integer or
            is not a pair.

    Examples:
        >>> bank = MemoryBankModule(size=(4096, 128))
        >>> output, negatives = bank(torch.randn(32, 128), update=True)
        >>> negatives.shape
        torch.Size([128, 4096])
    """

    def __init__(
        self,
        size: Union[int, Sequence[int]],
        gather_distributed: bool = False,
        feature_dim_first: bool = True,
    ) -> None:
        super().__init__()
        size_tuple = _check_size(size)
        self.size = size_tuple
        self.gather_distributed = gather_distributed
        self.feature_dim_first = feature_dim_first
        self.bank: Tensor
        self.register_buffer(
            "bank", tensor=torch.empty(size=size_tuple, dtype=torch.float), persistent=False
        )
        self.bank_ptr: Tensor
        self.register_buffer("bank_ptr", tensor=torch.empty(1, dtype=torch.long), persistent=False)
        if len(size_tuple) > 1:
            self._init_memory_bank(size=size_tuple)

    def forward(
        self,
        output: Tensor,
        labels: Optional[Tensor] = None,
        update: bool = False,
    ) -> Tuple[Tensor, Optional[Tensor]]:
        """Returns ``output`` and a copy of the bank taken before the update.

        Args:
            output: Embeddings of shape (batch_size, dim).
            labels: Ignored (kept for Lightly compatibility).
            update: If True, ``output`` is enqueued after the bank is copied.

        Returns:
            ``(output, bank)``; ``bank`` is None when the bank is disabled.
        """
        if self.size[0] == 0:
            return output, None
        bank = self.bank.clone().detach()
        if self.feature_dim_first:
            bank = bank.transpose(0, -1)
        if update:
            self._dequeue_and_enqueue(output)
        return output, bank

    @torch.no_grad()
    def _init_memory_bank(self, size: Tuple[int, ...]) -> None:
        """Fills the bank with random unit vectors and resets the pointer."""
        self.bank = torch.randn(size).type_as(self.bank)
        self.bank = torch.nn.functional.normalize(self.bank, dim=-1)
        self.bank_ptr = torch.zeros(1).type_as(self.bank_ptr)

    @torch.no_grad()
    def _dequeue_and_enqueue(self, batch: Tensor) -> None:
        """Writes ``batch`` over the oldest entries of the bank."""
        if batch.dim() != 2 or batch.shape[1] != self.size[1]:
            raise ValueError(
                f"memory bank of size {self.size} expects embeddings of shape "
                f"(batch_size, {self.size[1]}), got {tuple(batch.shape)}"
            )
        if self.gather_distributed and dist.world_size() > 1:
            batch = concat_all_gather(batch)
        batch_size = batch.shape[0]
        ptr = int(self.bank_ptr)
        if ptr + batch_size >= self.size[0]:
            self.bank[ptr:] = batch[: self.size[0] - ptr].detach()
            self.bank_ptr.zero_()
        else:
            self.bank[ptr : ptr + batch_size] = batch.detach()
            self.bank_ptr[0] = ptr + batch_size


def _check_size(size: Union[int, Sequence[int]]) -> Tuple[int, ...]:
    """Validates a memory bank size and returns it as a tuple."""
    size_tuple = (size,) if isinstance(size, int) else tuple(size)
    if any(x < 0 for x in size_tuple):
        raise ValueError(f"Illegal memory bank size {size}, all entries must be non-negative.")
    if isinstance(size, int) and size > 0:
        raise ValueError(
            f"Memory bank size 'size={size}' does not specify the feature "
            f"dimension. Set it with 'size=({size}, dim)', or pass 'size=0' to "
            "disable the memory bank."
        )
    if size_tuple != (0,) and len(size_tuple) != 2:
        raise ValueError(
            f"Illegal memory bank size {size}, expected a (num_features, dim) "
            "tuple, or 'size=0' to disable the memory bank."
        )
    return size_tuple
