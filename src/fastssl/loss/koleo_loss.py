"""KoLeo regularizer: spreads features by penalizing close nearest neighbours."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import Module, functional

from fastssl.loss._validation import check_batch


class KoLeoLoss(Module):
    """KoLeo loss [0], as in ``lightly.loss.KoLeoLoss``; follows DINOv2 [1].

    Encourages a uniform span of the features in a batch by penalizing the
    distance of each feature to its nearest neighbour. The neighbour search runs
    without autograd (it is not differentiable anyway).

    - [0] Spreading vectors for similarity search, 2019, https://arxiv.org/abs/1806.03198
    - [1] https://github.com/facebookresearch/dinov2/blob/main/dinov2/loss/koleo_loss.py

    Args:
        p: The norm degree of the pairwise distance.
        eps: Small value to avoid division by zero.

    Examples:
        >>> loss_fn = KoLeoLoss()
        >>> loss = loss_fn(torch.randn(8, 128))
    """

    def __init__(self, p: float = 2, eps: float = 1e-8):
        super().__init__()
        self.p = p
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        """Returns the KoLeo loss of ``x``.

        Args:
            x: Tensor with shape (batch_size, dim).

        Raises:
            ValueError: If ``x`` is not a float (batch_size, dim) tensor with
                batch_size >= 2 (a single sample has no neighbour).
        """
        check_batch("x", x, min_batch=2)
        x = functional.normalize(x, p=2, dim=-1, eps=self.eps)
        with torch.no_grad():
            cos_sim = torch.mm(x, x.t())
            cos_sim.fill_diagonal_(-2)
            nn_idx = cos_sim.argmax(dim=1)
        nn_dist = functional.pairwise_distance(x, x[nn_idx], p=self.p, eps=self.eps)
        return -(nn_dist + self.eps).log().mean()
