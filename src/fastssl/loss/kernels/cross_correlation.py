"""Sum of weighted squared entries of a cross-correlation matrix, in tiles: Barlow Twins and VICReg.

Maths. For A and B of shape (N, G, D) (G independent groups of N samples with
D features; G = 1 for flat projections), a scale s and weights w_d, t, w_o:

    c_ij^g = s * sum_n A[n, g, i] B[n, g, j]                    (the D x D matrix of group g)
    L^g    = w_d * sum_i (c_ii^g - t)^2 + w_o * sum_{i != j} (c_ij^g)^2

Barlow Twins: A, B the batch-normalized views, s = 1 / N, w_d = 1, t = 1, w_o = lambda.
VICReg covariance: A = B = the centered view, s = 1 / (N - 1), w_d = 0, w_o = 1 / D.

Forward: one program per (BLOCK_I x BLOCK_J) tile of c (and group) computes the
tile with a loop over N and writes the tile's share of L; only those partial
sums (one float per tile) are stored, never c, so memory is O(N * D).

Backward, for an upstream gradient g^g = dLoss/dL^g and

    W_ij = g * dL/dc_ij = g * (2 w_d (c_ii - t) if i == j else 2 w_o c_ij):

    dLoss/dA[n, i] = s * sum_j W_ij B[n, j]        dLoss/dB[n, j] = s * sum_i W_ij A[n, i]

The second is the first with A and B swapped (c becomes c^T and W becomes W^T),
so one kernel does both. One program owns a block of features I of the output
and, for each block of features J, recomputes the tile c[I, J] (loop over N),
turns it into W[I, J] and adds s * B[:, J] W[I, J]^T to out[:, I] block by
block over N (a read-modify-write of the rows it alone owns: no atomics). In the
self case (A = B, c symmetric) both terms are equal and are computed once.
"""

from __future__ import annotations

from typing import Optional, Tuple

import torch
import triton
import triton.language as tl

from fastssl.loss.kernels._runtime import dot_precision, launch, upcast_dot_operands


@triton.jit
def _correlation_tile(
    A, B, rows, cols, N, D,
    stride_an, stride_ad, stride_bn, stride_bd,
    UPCAST: tl.constexpr, DOT_PRECISION: tl.constexpr,
    BLOCK_I: tl.constexpr, BLOCK_J: tl.constexpr, BLOCK_N: tl.constexpr,
):
    """sum_n A[n, rows]^T B[n, cols] for one (BLOCK_I x BLOCK_J) tile; A and B point at one group."""
    row_ok = rows < D
    col_ok = cols < D
    c = tl.zeros((BLOCK_I, BLOCK_J), tl.float32)
    for n0 in range(0, N, BLOCK_N):
        n = n0 + tl.arange(0, BLOCK_N)
        n_ok = n < N
        a = tl.load(A + n[:, None] * stride_an + rows[None, :] * stride_ad,
                    mask=n_ok[:, None] & row_ok[None, :], other=0.0)
        b = tl.load(B + n[:, None] * stride_bn + cols[None, :] * stride_bd,
                    mask=n_ok[:, None] & col_ok[None, :], other=0.0)
        if UPCAST:
            a = a.to(tl.float32)
            b = b.to(tl.float32)
        c += tl.dot(tl.trans(a), b, input_precision=DOT_PRECISION)
    return c


@triton.jit
def _correlation_fwd_kernel(
    A, B, PARTIAL,
    N, D,
    stride_an, stride_ag, stride_ad, stride_bn, stride_bg, stride_bd,
    scale, diag_weight, diag_target, off_weight,
    UPCAST: tl.constexpr, DOT_PRECISION: tl.constexpr,
    BLOCK_I: tl.constexpr, BLOCK_J: tl.constexpr, BLOCK_N: tl.constexpr,
):
    pid_i = tl.program_id(0)
    pid_j = tl.program_id(1)
    group = tl.program_id(2)
    rows = pid_i * BLOCK_I + tl.arange(0, BLOCK_I)
    cols = pid_j * BLOCK_J + tl.arange(0, BLOCK_J)
    c = scale * _correlation_tile(A + group * stride_ag, B + group * stride_bg, rows, cols, N, D,
                                  stride_an, stride_ad, stride_bn, stride_bd,
                                  UPCAST, DOT_PRECISION, BLOCK_I, BLOCK_J, BLOCK_N)
    keep = (rows < D)[:, None] & (cols < D)[None, :]
    diagonal = rows[:, None] == cols[None, :]
    terms = tl.where(diagonal, diag_weight * (c - diag_target) * (c - diag_target), off_weight * c * c)
    total = tl.sum(tl.sum(tl.where(keep, terms, 0.0), axis=1), axis=0)
    tl.store(PARTIAL + (group * tl.num_programs(0) + pid_i) * tl.num_programs(1) + pid_j, total)


@triton.jit
def _correlation_bwd_kernel(
    A, B, GRAD, OUT,
    N, D,
    stride_an, stride_ag, stride_ad, stride_bn, stride_bg, stride_bd, stride_on, stride_og, stride_od,
    scale, diag_weight, diag_target, off_weight,
    UPCAST: tl.constexpr, DOT_PRECISION: tl.constexpr,
    BLOCK_I: tl.constexpr, BLOCK_J: tl.constexpr, BLOCK_N: tl.constexpr,
):
    group = tl.program_id(1)
    rows = tl.program_id(0) * BLOCK_I + tl.arange(0, BLOCK_I)
    row_ok = rows < D
    a_group = A + group * stride_ag
    b_group = B + group * stride_bg
    out_group = OUT + group * stride_og
    grad = tl.load(GRAD + group)
    for j0 in range(0, D, BLOCK_J):
        cols = j0 + tl.arange(0, BLOCK_J)
        col_ok = cols < D
        c = scale * _correlation_tile(a_group, b_group, rows, cols, N, D,
                                      stride_an, stride_ad, stride_bn, stride_bd,
                                      UPCAST, DOT_PRECISION, BLOCK_I, BLOCK_J, BLOCK_N)
        diagonal = rows[:, None] == cols[None, :]
        w = tl.where(diagonal, 2.0 * diag_weight * (c - diag_target), 2.0 * off_weight * c)
        w = tl.where(row_ok[:, None] & col_ok[None, :], grad * scale * w, 0.0)
        for n0 in range(0, N, BLOCK_N):
            n = n0 + tl.arange(0, BLOCK_N)
            n_ok = n < N
            b = tl.load(b_group + n[:, None] * stride_bn + cols[None, :] * stride_bd,
                        mask=n_ok[:, None] & col_ok[None, :], other=0.0)
            if UPCAST:
                b = b.to(tl.float32)
            out_ptrs = out_group + n[:, None] * stride_on + rows[None, :] * stride_od
            out_mask = n_ok[:, None] & row_ok[None, :]
            acc = tl.load(out_ptrs, mask=out_mask, other=0.0)
            acc += tl.dot(b, tl.trans(w).to(b.dtype), input_precision=DOT_PRECISION)
            tl.store(out_ptrs, acc, mask=out_mask)
        # The next block of J reads back these rows of OUT: make every thread's stores visible first.
        tl.debug_barrier()


def _blocks(device: torch.device) -> Tuple[int, int, int]:
    """(BLOCK_I, BLOCK_J, BLOCK_N): 16-wide tiles in the interpreter, so tests cross tile edges."""
    if device.type == "cuda":
        return 64, 64, 32
    return 16, 16, 16


def cross_correlation_forward(
    a: torch.Tensor,
    b: torch.Tensor,
    scale: float,
    diag_weight: float,
    diag_target: float,
    off_weight: float,
) -> torch.Tensor:
    """L^g of the module docstring for each group: float32 of shape (G,), from (N, G, D) inputs."""
    n, groups, dim = a.shape
    block_i, block_j, block_n = _blocks(a.device)
    grid = (triton.cdiv(dim, block_i), triton.cdiv(dim, block_j), groups)
    partial = torch.empty(groups, grid[0] * grid[1], device=a.device, dtype=torch.float32)
    launch(
        _correlation_fwd_kernel, grid, a.device,
        a, b, partial, n, dim,
        a.stride(0), a.stride(1), a.stride(2), b.stride(0), b.stride(1), b.stride(2),
        scale, diag_weight, diag_target, off_weight,
        UPCAST=upcast_dot_operands(a.device), DOT_PRECISION=dot_precision(a.dtype),
        BLOCK_I=block_i, BLOCK_J=block_j, BLOCK_N=block_n,
    )
    return partial.sum(dim=1)


def cross_correlation_backward(
    a: torch.Tensor,
    b: torch.Tensor,
    grad: torch.Tensor,
    scale: float,
    diag_weight: float,
    diag_target: float,
    off_weight: float,
) -> torch.Tensor:
    """sum_g grad_g dL^g/dA (float32, shaped like ``a``); swap ``a`` and ``b`` for dL/dB."""
    n, groups, dim = a.shape
    out = torch.zeros(a.shape, device=a.device, dtype=torch.float32)
    block_i, block_j, block_n = _blocks(a.device)
    launch(
        _correlation_bwd_kernel, (triton.cdiv(dim, block_i), groups), a.device,
        a, b, grad, out, n, dim,
        a.stride(0), a.stride(1), a.stride(2), b.stride(0), b.stride(1), b.stride(2),
        out.stride(0), out.stride(1), out.stride(2),
        scale, diag_weight, diag_target, off_weight,
        UPCAST=upcast_dot_operands(a.device), DOT_PRECISION=dot_precision(a.dtype),
        BLOCK_I=block_i, BLOCK_J=block_j, BLOCK_N=block_n,
    )
    return out


class CrossCorrelationFunction(torch.autograd.Function):
    """Autograd wrapper: L^g (float32, (G,)) of (N, G, D) inputs ``a`` and ``b`` (None: the self case b = a)."""

    @staticmethod
    def forward(
        ctx,
        a: torch.Tensor,
        b: Optional[torch.Tensor],
        scale: float,
        diag_weight: float,
        diag_target: float,
        off_weight: float,
    ) -> torch.Tensor:
        weights = (scale, diag_weight, diag_target, off_weight)
        losses = cross_correlation_forward(a, a if b is None else b, *weights)
        ctx.save_for_backward(a, b)
        ctx.weights = weights
        return losses

    @staticmethod
    def backward(ctx, grad_losses: torch.Tensor):
        a, b = ctx.saved_tensors
        grad = grad_losses.float().contiguous()
        grad_a = grad_b = None
        if b is None:
            # c = A^T A is symmetric, so dL/dA gets the row and the column term, which are equal.
            grad_a = cross_correlation_backward(a, a, 2.0 * grad, *ctx.weights).to(a.dtype)
            return grad_a, None, None, None, None, None
        if ctx.needs_input_grad[0]:
            grad_a = cross_correlation_backward(a, b, grad, *ctx.weights).to(a.dtype)
        if ctx.needs_input_grad[1]:
            grad_b = cross_correlation_backward(b, a, grad, *ctx.weights).to(b.dtype)
        return grad_a, grad_b, None, None, None, None
