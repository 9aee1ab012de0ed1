"""Row-wise log-sum-exp of contrastive logits, shared by NT-Xent and DCL.

Both losses need, for every local view ``i``, ``lse_i = log sum_j exp(s_ij)``
over the logits ``s_ij = <rows_i, columns_j> / temperature`` without a few
excluded entries (the view itself; for DCL also its positive). The positive
logit itself is a plain dot product of two local rows, O(n * dim).

The views are laid out as ONE matrix instead of four (n x m) blocks:

    rows    = [out0; out1] of this process                      (2n)
    columns = [out0_r; out1_r] of every process r, in rank order (2m = 2n * world_size)

Row ``i`` meets itself in column ``offset + i`` and its positive in column
``offset + (i + n) mod 2n``, with ``offset = 2n * rank``: excluded entries are
strided diagonals, filled in place, without masks or index tensors. The
log-sum-exp does not depend on the column order, so the values equal Lightly's.

Memory: :class:`_MaskedLogSumExp` computes the logits in chunks of rows and
saves only ``rows``, ``columns`` and the (2n,) result for backward, where it
recomputes each chunk: ``d lse_i / d s_ij = softmax_ij``, so

    grad_rows    = (g * P) @ columns / temperature
    grad_columns = (g * P).T @ rows / temperature

with ``P`` the row softmax (zero on excluded entries). Peak memory is
O((n + m) * dim + chunk) instead of several (2n x 2m) matrices.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from fastssl.utils.dist import gather, rank, world_size

# Entries of one chunk of logits (64 MiB in float32).
CHUNK_ELEMENTS = 1 << 24

# (first row, end row, diagonal): rows r in [first, end) exclude column diagonal + r.
Exclusion = Tuple[int, int, int]


def gather_views(
    out0: Tensor, out1: Tensor, gather_distributed: bool
) -> Tuple[Tensor, Tensor, int]:
    """Returns ``rows``, ``columns`` and the column offset of this process' rows.

    Args:
        out0: First views of this process, shape (n, dim).
        out1: Second views of this process, shape (n, dim).
        gather_distributed: If True and there are several processes, the
            columns hold the views of every process (gradients flow back).
    """
    rows = torch.cat([out0, out1])
    if gather_distributed and world_size() > 1:
        return rows, torch.cat(gather(rows)), rank() * rows.shape[0]
    return rows, rows, 0


def view_exclusions(n: int, offset: int, positives: bool) -> Tuple[Exclusion, ...]:
    """Returns the entries to exclude: each view itself, and its positive if ``positives``."""
    itself = ((0, 2 * n, offset),)
    if not positives:
        return itself
    return itself + ((0, n, offset + n), (n, 2 * n, offset - n))


def masked_logsumexp(
    rows: Tensor,
    columns: Tensor,
    temperature: float,
    exclusions: Sequence[Exclusion] = (),
) -> Tensor:
    """Returns ``logsumexp_j (rows @ columns.T / temperature)[i, j]`` over non-excluded j.

    Args:
        rows: Tensor with shape (r, dim).
        columns: Tensor with shape (c, dim).
        temperature: Logits are dot products divided by this value.
        exclusions: Diagonals left out of the sum, see :data:`Exclusion`.

    Returns:
        Tensor with shape (r,).
    """
    return _MaskedLogSumExp.apply(rows, columns, temperature, tuple(exclusions))


class _MaskedLogSumExp(torch.autograd.Function):
    """Chunked masked log-sum-exp that recomputes the logits in backward."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        rows: Tensor,
        columns: Tensor,
        temperature: float,
        exclusions: Tuple[Exclusion, ...],
    ) -> Tensor:
        lse = rows.new_empty(rows.shape[0])
        with torch.autocast(rows.device.type, enabled=False):
            for first, end in _chunks(rows.shape[0], columns.shape[0]):
                block = _logits(rows, columns, temperature, exclusions, first, end)
                row_max = block.amax(dim=1, keepdim=True)
                sums = block.sub_(row_max).exp_().sum(dim=1)
                lse[first:end] = sums.log_().add_(row_max.squeeze(1))
        ctx.save_for_backward(rows, columns, lse)
        ctx.temperature = temperature
        ctx.exclusions = exclusions
        return lse

    @staticmethod
    @once_differentiable
    def backward(  # type: ignore[override]
        ctx: Any, grad_lse: Tensor
    ) -> Tuple[Optional[Tensor], Optional[Tensor], None, None]:
        rows, columns, lse = ctx.saved_tensors
        need_rows, need_columns = ctx.needs_input_grad[:2]
        grad_rows = torch.empty_like(rows) if need_rows else None
        grad_columns = torch.zeros_like(columns) if need_columns else None
        scale = grad_lse / ctx.temperature
        with torch.autocast(rows.device.type, enabled=False):
            for first, end in _chunks(rows.shape[0], columns.shape[0]):
                block = _logits(
                    rows, columns, ctx.temperature, ctx.exclusions, first, end
                )
                block.sub_(lse[first:end, None]).exp_().mul_(scale[first:end, None])
                if grad_rows is not None:
                    torch.mm(block, columns, out=grad_rows[first:end])
                if grad_columns is not None:
                    grad_columns.addmm_(block.t(), rows[first:end])
        return grad_rows, grad_columns, None, None


def _chunks(n_rows: int, n_columns: int) -> Sequence[Tuple[int, int]]:
    """Splits the rows into chunks of at most CHUNK_ELEMENTS logits."""
    step = max(1, CHUNK_ELEMENTS // max(n_columns, 1))
    return [(first, min(first + step, n_rows)) for first in range(0, n_rows, step)]


def _logits(
    rows: Tensor,
    columns: Tensor,
    temperature: float,
    exclusions: Tuple[Exclusion, ...],
    first: int,
    end: int,
) -> Tensor:
    """Returns the logits of rows [first, end) with the excluded entries at -inf."""
    block = torch.mm(rows[first:end], columns.t()).div_(temperature)
    for start, stop, diagonal in exclusions:
        low, high = max(start, first), min(stop, end)
        if low < high:
            block[low - first : high - first].diagonal(diagonal + low).fill_(
                -float("inf")
            )
    return block


def ntxent_batch_loss(
    out0: Tensor, out1: Tensor, temperature: float, gather_distributed: bool
) -> Tensor:
    """NT-Xent with the other samples of the (gathered) batch as negatives.

    For each of the 2n local views: loss_i = logsumexp_{j != i} s_ij - s_i,pos,
    where j runs over all (gathered) views.
    """
    rows, columns, offset = gather_views(out0, out1, gather_distributed)
    exclusions = view_exclusions(out0.shape[0], offset, positives=False)
    log_norm = masked_logsumexp(rows, columns, temperature, exclusions)
    positives = torch.einsum("nc,nc->n", out0, out1) / temperature
    return (log_norm - positives.repeat(2)).mean()


def ntxent_memory_bank_loss(
    out0: Tensor, out1: Tensor, negatives: Tensor, temperature: float
) -> Tensor:
    """NT-Xent of ``out0`` with positive ``out1`` and the (dim, k) bank ``negatives``.

    Equals the cross-entropy of [s_pos, s_neg] with label 0 without building the
    (n, k + 1) logits: loss_i = logaddexp(s_pos, logsumexp(s_neg)) - s_pos.
    """
    positives = torch.einsum("nc,nc->n", out0, out1) / temperature
    negative_norm = masked_logsumexp(out0, negatives.t(), temperature)
    return (torch.logaddexp(positives, negative_norm) - positives).mean()


def dcl_batch_loss(
    out0: Tensor, out1: Tensor, temperature: float, weight_fn: Optional[Any], gather_distributed: bool
) -> Tensor:
    """DCL of L2-normalized ``out0`` and ``out1``: neither a view itself nor its positive is a negative."""
    rows, columns, offset = gather_views(out0, out1, gather_distributed)
    exclusions = view_exclusions(out0.shape[0], offset, positives=True)
    negative_loss = masked_logsumexp(rows, columns, temperature, exclusions)
    positives = torch.einsum("nc,nc->n", out0, out1) / temperature
    if weight_fn:
        positives = torch.cat([positives * weight_fn(out0, out1), positives * weight_fn(out1, out0)])
    else:
        positives = positives.repeat(2)
    return (negative_loss - positives).mean()
