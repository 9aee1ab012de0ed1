"""Contrastive cross-entropy loss (NT-Xent) of SimCLR, with MoCo's memory bank."""

from __future__ import annotations

from typing import Sequence, Union

from torch import Tensor, nn

from fastssl.loss._contrastive import ntxent_batch_loss, ntxent_memory_bank_loss
from fastssl.loss.kernels import fused_available, ntxent_loss
from fastssl.loss._validation import (
    check_batch,
    check_distributed_available,
    check_same_shape,
    check_temperature,
)
from fastssl.models.modules.memory_bank import MemoryBankModule
from fastssl.utils.dist import world_size


class NTXentLoss(nn.Module):
    """Contrastive cross-entropy loss, as in ``lightly.loss.NTXentLoss``.

    Follows SimCLR [0]. With ``memory_bank_size`` > 0 the negatives come from a
    memory bank, as in MoCo [1].

    - [0] SimCLR, 2020, https://arxiv.org/abs/2002.05709
    - [1] MoCo, 2020, https://arxiv.org/abs/1911.05722

    The log-sum-exp over the negatives runs in chunks of rows and is recomputed
    in backward, so memory grows with batch_size * dim, not batch_size squared
    (see :mod:`fastssl.loss._contrastive`).

    Args:
        temperature: Logits are cosine similarities divided by the temperature.
        memory_bank_size: ``(num_features, dim)`` of the memory bank, or 0 for
            none (SimCLR). MoCo typically uses 4096 or 65536 features.
        gather_distributed: If True, negatives from all processes are gathered
            before the loss (and before each memory bank update).

    Raises:
        ValueError: If ``abs(temperature) < 1e-8``, if the memory bank size is
            illegal, or if ``gather_distributed`` is True but torch.distributed
            is not available.

    Examples:
        >>> loss_fn = NTXentLoss(temperature=0.5)
        >>> out0, out1 = torch.randn(8, 128), torch.randn(8, 128)
        >>> loss = loss_fn(out0, out1)
        >>> # MoCo: 4096 negatives of dimension 128 in a memory bank
        >>> loss_fn = NTXentLoss(memory_bank_size=(4096, 128))
    """

    def __init__(
        self,
        temperature: float = 0.5,
        memory_bank_size: Union[int, Sequence[int]] = 0,
        gather_distributed: bool = False,
    ):
        super().__init__()
        check_temperature("temperature", temperature)
        check_distributed_available("gather_distributed", gather_distributed)
        self.memory_bank = MemoryBankModule(
            size=memory_bank_size, gather_distributed=gather_distributed
        )
        self.temperature = temperature
        self.gather_distributed = gather_distributed

    def forward(self, out0: Tensor, out1: Tensor) -> Tensor:
        """Returns the contrastive cross-entropy of the two views.

        If the memory bank is enabled, its entries are the negatives and ``out1``
        is enqueued when ``out0`` requires a gradient. Otherwise the other
        samples of the (gathered) batch are the negatives.

        Args:
            out0: Projections of the first views, shape (batch_size, dim).
            out1: Projections of the second views, shape (batch_size, dim).

        Returns:
            The mean loss over both views of every sample.

        Raises:
            ValueError: If the inputs are not float (batch_size, dim) tensors of
                the same shape, or their dim differs from the memory bank's.
        """
        check_batch("out0", out0)
        check_batch("out1", out1)
        check_same_shape("out0", out0, "out1", out1)
        bank_size = self.memory_bank.size
        if bank_size[0] > 0 and out0.shape[1] != bank_size[1]:
            raise ValueError(
                f"out0 and out1 must have dim {bank_size[1]} to match "
                f"memory_bank_size={bank_size}, got shape {tuple(out0.shape)}"
            )
        out0 = nn.functional.normalize(out0, dim=1)
        out1 = nn.functional.normalize(out1, dim=1)
        out1, negatives = self.memory_bank(out1, update=out0.requires_grad)
        if negatives is not None:
            negatives = negatives.to(device=out0.device, dtype=out0.dtype)
        gathering = self.gather_distributed and negatives is None and world_size() > 1
        if not gathering and fused_available(out0, out1):
            # The same maths, tiled on the GPU without the (2n x 2n) matrix.
            return ntxent_loss(out0, out1, self.temperature, negatives, fused=True)
        if negatives is None:
            return ntxent_batch_loss(out0, out1, self.temperature, self.gather_distributed)
        return ntxent_memory_bank_loss(out0, out1, negatives, self.temperature)
