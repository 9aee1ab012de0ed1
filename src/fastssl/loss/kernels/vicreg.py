"""VICReg covariance term (Lightly's ``covariance_loss``): fused on the GPU, eager elsewhere.

For x of shape (N, ..., D), centered over the batch (x - mean_n x), one
covariance matrix per position g of the middle dimensions (G positions in all):

    cov^g = x[:, g]^T x[:, g] / (N - 1)          loss = mean_g sum_{i != j} (cov_ij^g)^2 / D

The fused path centers eagerly (O(N * D)) and gets the D x D part from the tiled
kernel in ``cross_correlation`` in the self case (A = B): no covariance matrix is
stored. The variance and invariance terms of VICReg are O(N * D) and stay eager.
"""

from __future__ import annotations

from typing import Optional

from torch import Tensor

from fastssl.loss.kernels._dispatch import use_fused


def vicreg_covariance_loss(x: Tensor, fused: Optional[bool] = None) -> Tensor:
    """The VICReg covariance term, equal to Lightly's ``covariance_loss``.

    Args:
        x: Projections, (N, ..., D) with N >= 2.
        fused: None runs the Triton kernel on CUDA tensors (eager elsewhere),
            True forces it, False forces the eager reference.

    Returns:
        The scalar term, in the dtype of ``x``.

    Raises:
        ValueError: If ``x`` has fewer than two dimensions or fewer than two samples
            (the covariance divides by N - 1).

    >>> term = vicreg_covariance_loss(torch.randn(256, 8192))
    """
    if x.dim() < 2 or x.shape[0] < 2:
        raise ValueError(f"x must have shape (batch_size, ..., dim) with batch_size >= 2, got {tuple(x.shape)}")
    if not use_fused(fused, x):
        return vicreg_covariance_reference(x)
    from fastssl.loss.kernels.cross_correlation import CrossCorrelationFunction

    n, dim = x.shape[0], x.shape[-1]
    centered = (x - x.mean(dim=0)).reshape(n, -1, dim)
    losses = CrossCorrelationFunction.apply(centered, None, 1.0 / (n - 1), 0.0, 0.0, 1.0 / dim)
    return losses.mean().to(x.dtype)


def vicreg_covariance_reference(x: Tensor) -> Tensor:
    """The eager computation, Lightly's ``covariance_loss``: the CPU path and the test oracle."""
    from fastssl.loss.vicreg_loss import covariance_loss  # imported here: that module imports this package

    return covariance_loss(x)
