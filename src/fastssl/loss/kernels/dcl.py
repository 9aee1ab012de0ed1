"""DCL / DCLW (decoupled contrastive learning) loss: fused on the GPU, eager elsewhere.

With z = normalize([out0; out1]) (2N rows), the positive of row i being
pos(i) = (i + N) mod 2N and w_i the weight of its positive term (1 for DCL,
2 - N * softmax(<z0, z1> / sigma) for DCLW):

    loss = mean_i ( -w_i <z_i, z_pos(i)> / T + log sum_{j != i, j != pos(i)} exp(<z_i, z_j> / T) )

which is Lightly's 0.5 * (loss0 + loss1). The log-sum-exp over the negatives
comes from the tiled kernel in ``gram_lse`` (memory O(N * d)).
"""

from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from fastssl.loss._contrastive import dcl_batch_loss
from fastssl.loss.kernels._dispatch import use_fused

WeightFn = Callable[[Tensor, Tensor], Tensor]


def dcl_loss(
    out0: Tensor,
    out1: Tensor,
    temperature: float = 0.1,
    weight_fn: Optional[WeightFn] = None,
    fused: Optional[bool] = None,
) -> Tensor:
    """DCL loss of two batches of projections, equal to Lightly's ``DCLLoss`` (no gathering).

    Args:
        out0: Projections of the first views, (N, d).
        out1: Projections of the second views, (N, d).
        temperature: Similarities are divided by it.
        weight_fn: Weights of the positive terms, called as Lightly does on the
            normalized projections: ``weight_fn(z0, z1)`` and ``weight_fn(z1, z0)``.
            Lightly's DCLWLoss passes ``negative_mises_fisher_weights``.
        fused: None runs the Triton kernel on CUDA tensors (eager elsewhere),
            True forces it, False forces the eager reference.

    Returns:
        The scalar loss, in the dtype of ``out0``.

    >>> loss = dcl_loss(torch.randn(256, 128), torch.randn(256, 128), temperature=0.1)
    """
    if not use_fused(fused, out0, out1):
        # The module's eager path: chunked, O(N * d) memory (dcl_reference is the oracle).
        return dcl_batch_loss(F.normalize(out0, dim=1), F.normalize(out1, dim=1), temperature, weight_fn, False)
    from fastssl.loss.kernels.gram_lse import gram_lse

    n = out0.shape[0]
    z0 = F.normalize(out0, dim=1)
    z1 = F.normalize(out1, dim=1)
    lse = gram_lse(torch.cat([z0, z1]), None, 1.0 / temperature, exclude_pair=True)
    positive = (z0.float() * z1.float()).sum(dim=1) / temperature
    positive0, positive1 = positive, positive
    if weight_fn is not None:
        positive0 = positive * weight_fn(z0, z1)
        positive1 = positive * weight_fn(z1, z0)
    loss0 = (lse[:n] - positive0).mean()
    loss1 = (lse[n:] - positive1).mean()
    return (0.5 * (loss0 + loss1)).to(out0.dtype)


def dcl_reference(
    out0: Tensor, out1: Tensor, temperature: float = 0.1, weight_fn: Optional[WeightFn] = None
) -> Tensor:
    """The eager computation, as in Lightly's ``DCLLoss.forward``: the CPU path and the test oracle."""
    out0 = F.normalize(out0, dim=1)
    out1 = F.normalize(out1, dim=1)
    loss0 = _dcl_direction(out0, out1, temperature, weight_fn)
    loss1 = _dcl_direction(out1, out0, temperature, weight_fn)
    return 0.5 * (loss0 + loss1)


def _dcl_direction(out0: Tensor, out1: Tensor, temperature: float, weight_fn: Optional[WeightFn]) -> Tensor:
    batch_size = out0.shape[0]
    diag_mask = torch.eye(batch_size, device=out0.device, dtype=torch.bool)
    sim_00 = torch.einsum("nc,mc->nm", out0, out0) / temperature
    sim_01 = torch.einsum("nc,mc->nm", out0, out1) / temperature
    positive_loss = -sim_01[diag_mask]
    if weight_fn is not None:
        positive_loss = positive_loss * weight_fn(out0, out1)
    sim_00 = sim_00[~diag_mask].view(batch_size, -1)
    sim_01 = sim_01[~diag_mask].view(batch_size, -1)
    negative_loss = torch.logsumexp(torch.cat([sim_00, sim_01], dim=1), dim=1)
    return (positive_loss + negative_loss).mean()
