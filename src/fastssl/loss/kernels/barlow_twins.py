"""Barlow Twins loss (Lightly's BarlowTwinsLoss without gathering): fused on the GPU, eager elsewhere.

With z_a, z_b (N, D) batch-normalized over the batch (mean 0, biased variance 1,
eps 1e-5, as ``F.batch_norm`` in training mode) and c = z_a^T z_b / N (D x D):

    loss = sum_i (1 - c_ii)^2 + lambda * sum_{i != j} c_ij^2

The fused path keeps the normalization eager (O(N * D)) and gets the D x D part
from the tiled kernel in ``cross_correlation``: c is never stored (at D = 8192 it
would be 256 MiB in float32, plus as much again for its square and its gradient).
"""

from __future__ import annotations

from typing import Optional

import torch.nn.functional as F
from torch import Tensor

from fastssl.loss.kernels._dispatch import use_fused


def barlow_twins_loss(z_a: Tensor, z_b: Tensor, lambda_param: float = 5e-3, fused: Optional[bool] = None) -> Tensor:
    """Barlow Twins loss of two batches of projections, equal to Lightly's ``BarlowTwinsLoss`` (no gathering).

    Args:
        z_a: Projections of the first views, (N, D) with N >= 2.
        z_b: Projections of the second views, (N, D).
        lambda_param: Weight of the off-diagonal (redundancy reduction) term.
        fused: None runs the Triton kernel on CUDA tensors (eager elsewhere),
            True forces it, False forces the eager reference.

    Returns:
        The scalar loss, in the dtype of ``z_a``.

    >>> loss = barlow_twins_loss(torch.randn(256, 128), torch.randn(256, 128))
    """
    if not use_fused(fused, z_a, z_b):
        return barlow_twins_reference(z_a, z_b, lambda_param)
    from fastssl.loss.kernels.cross_correlation import CrossCorrelationFunction

    n = z_a.shape[0]
    a = standardize(z_a).unsqueeze(1)
    b = standardize(z_b).unsqueeze(1)
    losses = CrossCorrelationFunction.apply(a, b, 1.0 / n, 1.0, 1.0, float(lambda_param))
    return losses[0].to(z_a.dtype)


def barlow_twins_reference(z_a: Tensor, z_b: Tensor, lambda_param: float = 5e-3) -> Tensor:
    """The eager computation, as in Lightly's ``BarlowTwinsLoss.forward``: the CPU path and the test oracle."""
    return loss_from_correlation(standardize(z_a).T @ standardize(z_b) / z_a.shape[0], lambda_param)


def loss_from_correlation(c: Tensor, lambda_param: float) -> Tensor:
    """sum_i (1 - c_ii)^2 + lambda * sum_{i != j} c_ij^2 of the (D, D) cross-correlation ``c``."""
    invariance = (c.diagonal() - 1).pow(2).sum()
    off_diagonal = c.pow(2)
    off_diagonal.diagonal().zero_()
    return invariance + lambda_param * off_diagonal.sum()


def standardize(z: Tensor) -> Tensor:
    """Standardizes each feature of (N, D) ``z`` over the batch, as Lightly does (batch norm, no affine)."""
    return F.batch_norm(z, running_mean=None, running_var=None, training=True)
