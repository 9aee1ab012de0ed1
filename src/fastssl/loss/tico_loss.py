"""TiCo loss: transformation invariance and covariance contrast."""

from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from fastssl.loss._validation import (
    check_batch,
    check_distributed_available,
    check_same_shape,
)
from fastssl.utils.dist import gather, world_size


class TiCoLoss(torch.nn.Module):
    """TiCo loss [0], as in ``lightly.loss.TiCoLoss``; inspired by [1].

    Keeps an exponential moving average ``C`` of the feature covariance between
    calls (a plain attribute, not a buffer, as in Lightly).

    - [0] Jiachen Zhu et al., 2022, TiCo, https://arxiv.org/abs/2206.10698
    - [1] https://github.com/sayannag/TiCo-pytorch

    Args:
        beta: Coefficient of the moving average of the covariance matrix.
        rho: Weight of the covariance contrast term.
        gather_distributed: If True, the batches of all processes are gathered
            before the loss.

    Raises:
        ValueError: If ``gather_distributed`` is True but torch.distributed is
            not available.

    Examples:
        >>> loss_fn = TiCoLoss()
        >>> loss = loss_fn(torch.randn(8, 256), torch.randn(8, 256))
    """

    def __init__(
        self,
        beta: float = 0.9,
        rho: float = 8.0,
        gather_distributed: bool = False,
    ):
        super().__init__()
        check_distributed_available("gather_distributed", gather_distributed)
        self.beta = beta
        self.rho = rho
        self.C: Optional[Tensor] = None
        self.gather_distributed = gather_distributed

    def forward(
        self, z_a: Tensor, z_b: Tensor, update_covariance_matrix: bool = True
    ) -> Tensor:
        """Returns the TiCo loss of the two views.

        Args:
            z_a: Output of the learned backbone, shape (batch_size, dim).
            z_b: Output of the momentum backbone, shape (batch_size, dim).
            update_covariance_matrix: If True, the moving average is updated.

        Raises:
            ValueError: If the inputs are not float (batch_size, dim) tensors of
                the same shape with batch_size >= 2, or dim changed between calls.
        """
        check_batch("z_a", z_a, min_batch=2)
        check_batch("z_b", z_b, min_batch=2)
        check_same_shape("z_a", z_a, "z_b", z_b)
        if self.C is not None and self.C.shape[0] != z_a.shape[1]:
            raise ValueError(
                f"z_a must have dim {self.C.shape[0]} like the previous calls, "
                f"got shape {tuple(z_a.shape)}"
            )

        if self.gather_distributed and world_size() > 1:
            z_a = torch.cat(gather(z_a), dim=0)
            z_b = torch.cat(gather(z_b), dim=0)
        z_a = torch.nn.functional.normalize(z_a, dim=1)
        z_b = torch.nn.functional.normalize(z_b, dim=1)

        batch_covariance = torch.mm(z_a.T, z_a).detach() / z_a.shape[0]
        if self.C is None:
            self.C = batch_covariance.new_zeros(batch_covariance.shape)
        C = self.beta * self.C + (1 - self.beta) * batch_covariance

        invariance_loss = 1.0 - (z_a * z_b).sum(dim=1).mean()
        covariance_loss = self.rho * (torch.mm(z_a, C) * z_a).sum(dim=1).mean()
        if update_covariance_matrix:
            self.C = C.detach()
        return invariance_loss + covariance_loss
