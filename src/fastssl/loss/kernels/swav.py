"""SwaV's Sinkhorn-Knopp codes (Lightly's ``sinkhorn`` without gathering): fused on the GPU, eager elsewhere.

The fused path (``sinkhorn.sinkhorn_forward``) never forms exp(out / eps) in
memory: each half iteration reads the scores once and keeps one scale per
prototype or per sample (see that module for the maths). Like Lightly's, the
codes carry no gradient.
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from fastssl.loss.kernels._dispatch import use_fused


@torch.no_grad()
def sinkhorn_knopp(
    out: Tensor, iterations: int = 3, epsilon: float = 0.05, fused: Optional[bool] = None
) -> Tensor:
    """Soft codes of SwaV, equal to Lightly's ``sinkhorn`` (no gathering), computed without gradient.

    Args:
        out: Similarities of the features and the prototypes, (batch_size, num_prototypes).
        iterations: Number of Sinkhorn iterations.
        epsilon: Temperature of the exponential.
        fused: None runs the Triton kernels on CUDA tensors (eager elsewhere),
            True forces them, False forces the eager reference.

    Returns:
        The codes, (batch_size, num_prototypes), in the dtype of ``out``
        (the fused path computes in float32 for half-precision scores).

    >>> codes = sinkhorn_knopp(torch.randn(256, 3000))
    """
    if not use_fused(fused, out):
        return sinkhorn_knopp_reference(out, iterations, epsilon)
    from fastssl.loss.kernels.sinkhorn import sinkhorn_forward

    return sinkhorn_forward(out.detach(), iterations, epsilon)


def sinkhorn_knopp_reference(out: Tensor, iterations: int = 3, epsilon: float = 0.05) -> Tensor:
    """The eager computation, Lightly's ``sinkhorn``: the CPU path and the test oracle."""
    from fastssl.loss.swav_loss import sinkhorn  # imported here: that module imports this package

    return sinkhorn(out, iterations=iterations, epsilon=epsilon)
