"""VICReg loss: variance, invariance and covariance terms."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from fastssl.loss._validation import (
    check_distributed_available,
    check_float,
    check_same_shape,
)
from fastssl.loss.kernels import vicreg_covariance_loss
from fastssl.utils.dist import gather, world_size


class VICRegLoss(torch.nn.Module):
    """VICReg loss [0], as in ``lightly.loss.VICRegLoss``; follows the authors' code [1].

    - [0] VICReg, 2022, https://arxiv.org/abs/2105.04906
    - [1] https://github.com/facebookresearch/vicreg/

    Args:
        lambda_param: Weight of the invariance term.
        mu_param: Weight of the variance term.
        nu_param: Weight of the covariance term.
        gather_distributed: If True, the variance and covariance terms are
            computed on the batches of all processes.
        eps: Epsilon for numerical stability of the standard deviation.

    Raises:
        ValueError: If ``gather_distributed`` is True but torch.distributed is
            not available.

    Examples:
        >>> loss_fn = VICRegLoss()
        >>> loss = loss_fn(torch.randn(8, 128), torch.randn(8, 128))
    """

    def __init__(
        self,
        lambda_param: float = 25.0,
        mu_param: float = 25.0,
        nu_param: float = 1.0,
        gather_distributed: bool = False,
        eps: float = 0.0001,
    ):
        super().__init__()
        check_distributed_available("gather_distributed", gather_distributed)
        self.lambda_param = lambda_param
        self.mu_param = mu_param
        self.nu_param = nu_param
        self.gather_distributed = gather_distributed
        self.eps = eps

    def forward(self, z_a: Tensor, z_b: Tensor) -> Tensor:
        """Returns the VICReg loss of the two views.

        Args:
            z_a: Tensor with shape (batch_size, ..., dim).
            z_b: Tensor with shape (batch_size, ..., dim).

        Raises:
            ValueError: If the inputs are not float tensors of the same shape with
                at least two dimensions and batch_size >= 2.
        """
        for name, z in (("z_a", z_a), ("z_b", z_b)):
            check_float(name, z)
            if z.dim() < 2 or z.shape[0] < 2:
                raise ValueError(
                    f"{name} must have shape (batch_size, ..., dim) with batch_size "
                    f">= 2, got {tuple(z.shape)}"
                )
        check_same_shape("z_a", z_a, "z_b", z_b)

        inv_loss = invariance_loss(x=z_a, y=z_b)
        if self.gather_distributed and world_size() > 1:
            z_a = torch.cat(gather(z_a), dim=0)
            z_b = torch.cat(gather(z_b), dim=0)
        var_loss = 0.5 * (
            variance_loss(x=z_a, eps=self.eps) + variance_loss(x=z_b, eps=self.eps)
        )
        # Fused and tiled on the GPU (no (dim x dim) matrix), eager elsewhere; after
        # gathering, z_a and z_b hold every process's batch either way.
        cov_loss = vicreg_covariance_loss(z_a) + vicreg_covariance_loss(z_b)
        return (
            self.lambda_param * inv_loss
            + self.mu_param * var_loss
            + self.nu_param * cov_loss
        )


def invariance_loss(x: Tensor, y: Tensor) -> Tensor:
    """Returns the VICReg invariance term: the mean squared error of ``x`` and ``y``.

    Args:
        x: Tensor with shape (batch_size, ..., dim).
        y: Tensor with shape (batch_size, ..., dim).

    Examples:
        >>> loss = invariance_loss(torch.randn(8, 16), torch.randn(8, 16))
    """
    return F.mse_loss(x, y)


def variance_loss(x: Tensor, eps: float = 0.0001) -> Tensor:
    """Returns the VICReg variance term: the mean hinge on the std of each feature.

    Args:
        x: Tensor with shape (batch_size, ..., dim).
        eps: Epsilon for numerical stability.

    Examples:
        >>> loss = variance_loss(torch.randn(8, 16))
    """
    std = torch.sqrt(x.var(dim=0) + eps)
    return torch.mean(F.relu(1.0 - std))


def covariance_loss(x: Tensor) -> Tensor:
    """Returns the VICReg covariance term: the mean squared off-diagonal covariance.

    Works for tensors with more than two dimensions (as in VICRegL): one
    covariance matrix per position of the middle dimensions, averaged. The
    diagonal is zeroed in place instead of selected with a boolean mask.

    Args:
        x: Tensor with shape (batch_size, ..., dim).

    Examples:
        >>> loss = covariance_loss(torch.randn(8, 16))
    """
    x = x - x.mean(dim=0)
    batch_size, dim = x.size(0), x.size(-1)
    cov = torch.einsum("b...c,b...d->...cd", x, x) / (batch_size - 1)
    cov.diagonal(dim1=-2, dim2=-1).zero_()
    return (cov.pow(2).sum(dim=(-2, -1)) / dim).mean()
