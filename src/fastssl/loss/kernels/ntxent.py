"""NT-Xent / InfoNCE (Lightly's NTXentLoss without gathering): fused on the GPU, eager elsewhere.

Within the batch (SimCLR): with z = normalize([out0; out1]) (2N rows) and the
positive of row i being row (i + N) mod 2N,

    loss = mean_i ( lse_i - <z_i, z_pos(i)> / T ),  lse_i = log sum_{j != i} exp(<z_i, z_j> / T)

With a memory bank (MoCo), q = normalize(out0), k = normalize(out1), negatives b_j:

    loss = mean_i ( logaddexp(<q_i, k_i> / T, log sum_j exp(<q_i, b_j> / T)) - <q_i, k_i> / T )

The fused path gets every lse from the tiled kernel in ``gram_lse`` (memory
O(N * d) instead of O(N^2)); the positives and the normalization are O(N * d)
PyTorch operations.
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from fastssl.loss._contrastive import ntxent_batch_loss, ntxent_memory_bank_loss
from fastssl.loss.kernels._dispatch import use_fused


def ntxent_loss(
    out0: Tensor,
    out1: Tensor,
    temperature: float = 0.5,
    negatives: Optional[Tensor] = None,
    fused: Optional[bool] = None,
) -> Tensor:
    """NT-Xent loss of two batches of projections, equal to Lightly's ``NTXentLoss`` (no gathering).

    Args:
        out0: Projections of the first views, (N, d).
        out1: Projections of the second views, (N, d).
        temperature: Logits are divided by it.
        negatives: Memory-bank negatives as Lightly's memory bank returns them,
            (d, K); None uses the other samples of the batch.
        fused: None runs the Triton kernel on CUDA tensors (eager elsewhere),
            True forces it, False forces the eager reference.

    Returns:
        The scalar loss, in the dtype of ``out0``.

    >>> out0, out1 = torch.randn(256, 128), torch.randn(256, 128)
    >>> loss = ntxent_loss(out0, out1, temperature=0.5)
    """
    if not use_fused(fused, out0, out1, *([] if negatives is None else [negatives])):
        # The modules' eager path: chunked, O(N * d) memory (ntxent_reference is the oracle).
        z0, z1 = F.normalize(out0, dim=1), F.normalize(out1, dim=1)
        if negatives is None:
            return ntxent_batch_loss(z0, z1, temperature, gather_distributed=False)
        return ntxent_memory_bank_loss(z0, z1, negatives.to(device=z0.device, dtype=z0.dtype), temperature)
    from fastssl.loss.kernels.gram_lse import gram_lse

    n = out0.shape[0]
    scale = 1.0 / temperature
    if negatives is None:
        z = F.normalize(torch.cat([out0, out1]), dim=1)
        lse = gram_lse(z, None, scale)
        positive = (z[:n].float() * z[n:].float()).sum(dim=1) * scale
        return (lse.mean() - positive.mean()).to(out0.dtype)
    q = F.normalize(out0, dim=1)
    k = F.normalize(out1, dim=1)
    positive = (q.float() * k.float()).sum(dim=1) * scale
    lse_negatives = gram_lse(q, negatives.to(q.dtype).t(), scale)
    return (torch.logaddexp(positive, lse_negatives) - positive).mean().to(out0.dtype)


def ntxent_reference(
    out0: Tensor, out1: Tensor, temperature: float = 0.5, negatives: Optional[Tensor] = None
) -> Tensor:
    """The eager computation, as in Lightly's ``NTXentLoss.forward``: the CPU path and the test oracle."""
    batch_size = out0.shape[0]
    out0 = F.normalize(out0, dim=1)
    out1 = F.normalize(out1, dim=1)
    if negatives is not None:
        sim_pos = torch.einsum("nc,nc->n", out0, out1).unsqueeze(-1)
        sim_neg = torch.einsum("nc,ck->nk", out0, negatives.to(out0.device))
        logits = torch.cat([sim_pos, sim_neg], dim=1) / temperature
        labels = torch.zeros(batch_size, device=out0.device, dtype=torch.long)
        return F.cross_entropy(logits, labels)
    diag_mask = torch.eye(batch_size, device=out0.device, dtype=torch.bool)
    logits_00 = torch.einsum("nc,mc->nm", out0, out0) / temperature
    logits_01 = torch.einsum("nc,mc->nm", out0, out1) / temperature
    logits_10 = torch.einsum("nc,mc->nm", out1, out0) / temperature
    logits_11 = torch.einsum("nc,mc->nm", out1, out1) / temperature
    logits_00 = logits_00[~diag_mask].view(batch_size, -1)
    logits_11 = logits_11[~diag_mask].view(batch_size, -1)
    logits = torch.cat(
        [torch.cat([logits_01, logits_00], dim=1), torch.cat([logits_10, logits_11], dim=1)]
    )
    labels = torch.arange(batch_size, device=out0.device, dtype=torch.long).repeat(2)
    return F.cross_entropy(logits, labels)
