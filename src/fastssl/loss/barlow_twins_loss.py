"""Barlow Twins redundancy-reduction loss."""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import Tensor
from torch.distributed import nn as dist_nn

from fastssl.loss._validation import (
    check_batch,
    check_distributed_available,
    check_same_shape,
)
from fastssl.loss.kernels import barlow_twins_loss
from fastssl.loss.kernels.barlow_twins import loss_from_correlation, standardize
from fastssl.utils.dist import world_size


class BarlowTwinsLoss(torch.nn.Module):
    """Barlow Twins loss [0] (Algorithm 1), as in ``lightly.loss.BarlowTwinsLoss``.

    - [0] Zbontar, J. et al., 2021, Barlow Twins, https://arxiv.org/abs/2103.03230

    Args:
        lambda_param: Weight of the redundancy reduction (off-diagonal) term.
        gather_distributed: If True, the cross-correlation matrices of all
            processes are averaged before the loss.

    Raises:
        ValueError: If ``gather_distributed`` is True but torch.distributed is
            not available.

    Examples:
        >>> loss_fn = BarlowTwinsLoss()
        >>> loss = loss_fn(torch.randn(8, 128), torch.randn(8, 128))
    """

    def __init__(self, lambda_param: float = 5e-3, gather_distributed: bool = False):
        super().__init__()
        check_distributed_available("gather_distributed", gather_distributed)
        self.lambda_param = lambda_param
        self.gather_distributed = gather_distributed

    def forward(self, z_a: Tensor, z_b: Tensor) -> Tensor:
        """Returns the Barlow Twins loss of the two views.

        Args:
            z_a: Projections of the first views, shape (batch_size, dim).
            z_b: Projections of the second views, shape (batch_size, dim).

        Raises:
            ValueError: If the inputs are not float (batch_size, dim) tensors of
                the same shape with batch_size >= 2 (batch normalization needs
                two samples).
        """
        check_batch("z_a", z_a, min_batch=2)
        check_batch("z_b", z_b, min_batch=2)
        check_same_shape("z_a", z_a, "z_b", z_b)

        if not (self.gather_distributed and world_size() > 1):
            # Fused and tiled on the GPU (no (dim x dim) matrix), eager elsewhere.
            return barlow_twins_loss(z_a, z_b, self.lambda_param)
        c = standardize(z_a).T @ standardize(z_b)
        c.div_(z_a.shape[0])
        # The autograd-aware all_reduce scales gradients like a single process.
        c = dist_nn.all_reduce(c / dist.get_world_size())
        return loss_from_correlation(c, self.lambda_param)
