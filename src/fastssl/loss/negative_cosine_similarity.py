"""Negative cosine similarity loss of SimSiam."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn.functional import cosine_similarity

from fastssl.loss._validation import check_float


class NegativeCosineSimilarity(torch.nn.Module):
    """Negative cosine similarity of SimSiam [0], as in ``lightly.loss.NegativeCosineSimilarity``.

    - [0] SimSiam, 2020, https://arxiv.org/abs/2011.10566

    Args:
        dim: Dimension along which the cosine similarity is computed.
        eps: Small value to avoid division by zero.

    Examples:
        >>> loss_fn = NegativeCosineSimilarity()
        >>> loss = loss_fn(torch.randn(10, 128), torch.randn(10, 128))
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x0: Tensor, x1: Tensor) -> Tensor:
        """Returns the mean negative cosine similarity of ``x0`` and ``x1``.

        Args:
            x0: First input tensor.
            x1: Second input tensor, broadcastable with ``x0``.

        Raises:
            ValueError: If an input is not a float tensor or the shapes do not
                broadcast.
        """
        check_float("x0", x0)
        check_float("x1", x1)
        try:
            torch.broadcast_shapes(x0.shape, x1.shape)
        except RuntimeError:
            raise ValueError(
                f"x0 and x1 must have broadcastable shapes, got {tuple(x0.shape)} "
                f"and {tuple(x1.shape)}"
            ) from None
        return -cosine_similarity(x0, x1, self.dim, self.eps).mean()
