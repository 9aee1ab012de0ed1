"""Nearest-neighbour memory bank (NNCLR), at Lightly's module path."""

from __future__ import annotations

from typing import Sequence, Union

import torch
from torch import Tensor

from fastssl.models.modules.memory_bank import MemoryBankModule


class NNMemoryBankModule(MemoryBankModule):
    """Memory bank that replaces each embedding by its nearest neighbour in the bank (NNCLR).

    - [0] NNCLR, 2021, https://arxiv.org/abs/2104.14548

    Args:
        size: ``(num_features, dim)``.

    Examples:
        >>> nn_replacer = NNMemoryBankModule(size=(2**16, 128))
        >>> z0 = nn_replacer(z0.detach(), update=False)
        >>> z1 = nn_replacer(z1.detach(), update=True)
    """

    def __init__(self, size: Union[int, Sequence[int]]) -> None:
        super().__init__(size)

    def forward(  # type: ignore[override]
        self,
        output: Tensor,
        update: bool = False,
    ) -> Tensor:
        """Returns, for each row of ``output``, the most cosine-similar bank entry.

        Args:
            output: Embeddings of shape (batch_size, dim).
            update: If True, ``output`` is enqueued after the lookup.

        Raises:
            ValueError: If the bank is disabled (size 0).
        """
        output, bank = super().forward(output, update=update)
        if bank is None:
            raise ValueError("NNMemoryBankModule needs a memory bank, got size=0")
        bank = bank.to(output.device).t()
        output_normed = torch.nn.functional.normalize(output, dim=1)
        bank_normed = torch.nn.functional.normalize(bank, dim=1)
        similarity = torch.einsum("nd,md->nm", output_normed, bank_normed)
        nearest = torch.argmax(similarity, dim=1)
        return torch.index_select(bank, dim=0, index=nearest)
