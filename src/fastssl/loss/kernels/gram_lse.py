"""Row log-sum-exp of a scaled Gram matrix, in tiles: the core of NT-Xent, InfoNCE and DCL.

Maths. For rows x_i (M x D) and y_j (N x D) and a scale a (= 1 / temperature):

    s_ij   = a * <x_i, y_j>
    lse_i  = log sum_{j in C(i)} exp(s_ij)

where C(i) is every column, or in the symmetric case (y = x, M = N = 2H) every
column but j = i (EXCLUDE_DIAG) and j = (i + H) mod 2H (EXCLUDE_PAIR; DCL drops the
positive from its denominator, NT-Xent keeps it).

Forward: one program per block of rows walks over blocks of columns, computes the
(BLOCK_M x BLOCK_N) tile of s with a loop over D, and keeps a running max m_i and
sum l_i = sum exp(s_ij - m_i) (online log-sum-exp). Only lse (M floats) is stored:
the M x N matrix never exists in memory, so memory is O((M + N) * D).

Backward, for an upstream gradient g_i = dL/dlse_i and p_ij = exp(s_ij - lse_i):

    dL/dx_i = a * sum_j g_i p_ij y_j                                   (row term)
    dL/dy_j = a * sum_i g_i p_ij x_i                                   (column term)

In the symmetric case the Gram matrix and the mask are symmetric, so both terms
land on the same tensor and, for one block of rows I, read the same tile:

    dL/dx_I = a * sum_J (g_I * p_IJ + g_J * exp(s_IJ - lse_J)) x_J

The backward kernel recomputes each tile of s (no M x N storage either) and
computes out_I = a * sum_J W_IJ Y_J with W = [row term] + [column term]; one
program owns a (BLOCK_M rows x BLOCK_DO features) block of the output, so no
atomics are needed. For D > BLOCK_DO the tile of s is recomputed once per block
of output features.
"""

from __future__ import annotations

from typing import Optional, Tuple

import torch
import triton
import triton.language as tl

from fastssl.loss.kernels._runtime import dot_precision, launch, upcast_dot_operands

@triton.jit
def _similarity_tile(
    X, Y, rows, cols, M, N, D,
    stride_xm, stride_xd, stride_ym, stride_yd,
    scale, half,
    EXCLUDE_DIAG: tl.constexpr, EXCLUDE_PAIR: tl.constexpr,
    UPCAST: tl.constexpr, DOT_PRECISION: tl.constexpr,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr,
):
    """scale * X[rows] . Y[cols]^T for one tile; excluded and out-of-range entries are -inf."""
    row_ok = rows < M
    col_ok = cols < N
    feats = tl.arange(0, BLOCK_D)
    s = tl.zeros((BLOCK_M, BLOCK_N), tl.float32)
    for d0 in range(0, D, BLOCK_D):
        d = d0 + feats
        d_ok = d < D
        x = tl.load(X + rows[:, None] * stride_xm + d[None, :] * stride_xd,
                    mask=row_ok[:, None] & d_ok[None, :], other=0.0)
        y = tl.load(Y + cols[:, None] * stride_ym + d[None, :] * stride_yd,
                    mask=col_ok[:, None] & d_ok[None, :], other=0.0)
        if UPCAST:
            x = x.to(tl.float32)
            y = y.to(tl.float32)
        s += tl.dot(x, tl.trans(y), input_precision=DOT_PRECISION)
    keep = col_ok[None, :] & row_ok[:, None]
    if EXCLUDE_DIAG:
        keep = keep & (cols[None, :] != rows[:, None])
    if EXCLUDE_PAIR:
        keep = keep & (cols[None, :] != (rows[:, None] + half) % (2 * half))
    return tl.where(keep, s * scale, float("-inf"))


@triton.jit
def _gram_lse_fwd_kernel(
    X, Y, LSE,
    M, N, D,
    stride_xm, stride_xd, stride_ym, stride_yd,
    scale, half,
    EXCLUDE_DIAG: tl.constexpr, EXCLUDE_PAIR: tl.constexpr,
    UPCAST: tl.constexpr, DOT_PRECISION: tl.constexpr,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr,
):
    rows = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    row_ok = rows < M
    # A finite running max to start with, so that exp(m_old - m_new) is never nan.
    m_i = tl.full((BLOCK_M,), -1.0e30, tl.float32)
    l_i = tl.zeros((BLOCK_M,), tl.float32)
    for n0 in range(0, N, BLOCK_N):
        cols = n0 + tl.arange(0, BLOCK_N)
        s = _similarity_tile(X, Y, rows, cols, M, N, D, stride_xm, stride_xd, stride_ym, stride_yd, scale, half,
                             EXCLUDE_DIAG, EXCLUDE_PAIR, UPCAST, DOT_PRECISION, BLOCK_M, BLOCK_N, BLOCK_D)
        m_new = tl.maximum(m_i, tl.max(s, axis=1))
        l_i = l_i * tl.exp(m_i - m_new) + tl.sum(tl.exp(s - m_new[:, None]), axis=1)
        m_i = m_new
    tl.store(LSE + rows, m_i + tl.log(l_i), mask=row_ok)


@triton.jit
def _gram_lse_bwd_kernel(
    X, Y, OUT,
    G_ROW, LSE_ROW, G_COL, LSE_COL,
    M, N, D,
    stride_xm, stride_xd, stride_ym, stride_yd, stride_om, stride_od,
    scale, half,
    ROW_TERM: tl.constexpr, COL_TERM: tl.constexpr,
    EXCLUDE_DIAG: tl.constexpr, EXCLUDE_PAIR: tl.constexpr,
    UPCAST: tl.constexpr, DOT_PRECISION: tl.constexpr,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_DO: tl.constexpr,
):
    rows = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    row_ok = rows < M
    out_d = tl.program_id(1) * BLOCK_DO + tl.arange(0, BLOCK_DO)
    out_d_ok = out_d < D
    if ROW_TERM:
        g_row = tl.load(G_ROW + rows, mask=row_ok, other=0.0)
        lse_row = tl.load(LSE_ROW + rows, mask=row_ok, other=0.0)
    acc = tl.zeros((BLOCK_M, BLOCK_DO), tl.float32)
    for n0 in range(0, N, BLOCK_N):
        cols = n0 + tl.arange(0, BLOCK_N)
        col_ok = cols < N
        # Excluded entries are -inf, so their weights below are exp(-inf) = 0.
        s = _similarity_tile(X, Y, rows, cols, M, N, D, stride_xm, stride_xd, stride_ym, stride_yd, scale, half,
                             EXCLUDE_DIAG, EXCLUDE_PAIR, UPCAST, DOT_PRECISION, BLOCK_M, BLOCK_N, BLOCK_D)
        w = tl.zeros((BLOCK_M, BLOCK_N), tl.float32)
        if ROW_TERM:
            w += g_row[:, None] * tl.exp(s - lse_row[:, None])
        if COL_TERM:
            g_col = tl.load(G_COL + cols, mask=col_ok, other=0.0)
            lse_col = tl.load(LSE_COL + cols, mask=col_ok, other=0.0)
            w += g_col[None, :] * tl.exp(s - lse_col[None, :])
        y_out = tl.load(Y + cols[:, None] * stride_ym + out_d[None, :] * stride_yd,
                        mask=col_ok[:, None] & out_d_ok[None, :], other=0.0)
        if UPCAST:
            y_out = y_out.to(tl.float32)
        acc += tl.dot(w.to(y_out.dtype), y_out, input_precision=DOT_PRECISION)
    acc = acc * scale
    tl.store(OUT + rows[:, None] * stride_om + out_d[None, :] * stride_od,
             acc.to(OUT.dtype.element_ty), mask=row_ok[:, None] & out_d_ok[None, :])


def _blocks(device: torch.device, dim: int) -> Tuple[int, int, int, int]:
    """(BLOCK_M, BLOCK_N, BLOCK_D, BLOCK_DO): small tiles in the interpreter, so tests cross tile edges."""
    if device.type == "cuda":
        block_d = min(128, max(16, triton.next_power_of_2(dim)))
        return 64, 64, block_d, block_d
    block_d = min(32, max(16, triton.next_power_of_2(dim)))
    return 16, 16, block_d, block_d


def gram_lse_forward(
    x: torch.Tensor,
    y: torch.Tensor,
    scale: float,
    exclude_diag: bool = False,
    exclude_pair: bool = False,
) -> torch.Tensor:
    """lse_i = log sum_j exp(scale * <x_i, y_j>) over the kept columns; float32 of shape (M,).

    ``exclude_diag`` / ``exclude_pair`` need ``y is x`` with an even number of rows.
    """
    m, dim = x.shape
    n = y.shape[0]
    lse = torch.empty(m, device=x.device, dtype=torch.float32)
    block_m, block_n, block_d, _ = _blocks(x.device, dim)
    launch(
        _gram_lse_fwd_kernel, (triton.cdiv(m, block_m),), x.device,
        x, y, lse, m, n, dim,
        x.stride(0), x.stride(1), y.stride(0), y.stride(1),
        scale, max(m // 2, 1),
        EXCLUDE_DIAG=exclude_diag, EXCLUDE_PAIR=exclude_pair,
        UPCAST=upcast_dot_operands(x.device), DOT_PRECISION=dot_precision(x.dtype),
        BLOCK_M=block_m, BLOCK_N=block_n, BLOCK_D=block_d,
    )
    return lse


def gram_lse_backward(
    x: torch.Tensor,
    y: torch.Tensor,
    scale: float,
    grad_row: Optional[torch.Tensor],
    lse_row: Optional[torch.Tensor],
    grad_col: Optional[torch.Tensor] = None,
    lse_col: Optional[torch.Tensor] = None,
    exclude_diag: bool = False,
    exclude_pair: bool = False,
) -> torch.Tensor:
    """out_i = scale * sum_j (g_row_i p_ij + g_col_j exp(s_ij - lse_col_j)) y_j, shaped like x.

    Either term is skipped when its gradient is None.
    """
    m, dim = x.shape
    n = y.shape[0]
    out = torch.empty_like(x, memory_format=torch.contiguous_format)
    block_m, block_n, block_d, block_do = _blocks(x.device, dim)
    dummy = out  # never read when its term is off
    launch(
        _gram_lse_bwd_kernel, (triton.cdiv(m, block_m), triton.cdiv(dim, block_do)), x.device,
        x, y, out,
        dummy if grad_row is None else grad_row, dummy if lse_row is None else lse_row,
        dummy if grad_col is None else grad_col, dummy if lse_col is None else lse_col,
        m, n, dim,
        x.stride(0), x.stride(1), y.stride(0), y.stride(1), out.stride(0), out.stride(1),
        scale, max(m // 2, 1),
        ROW_TERM=grad_row is not None, COL_TERM=grad_col is not None,
        EXCLUDE_DIAG=exclude_diag, EXCLUDE_PAIR=exclude_pair,
        UPCAST=upcast_dot_operands(x.device), DOT_PRECISION=dot_precision(x.dtype),
        BLOCK_M=block_m, BLOCK_N=block_n, BLOCK_D=block_d, BLOCK_DO=block_do,
    )
    return out


class GramLSEFunction(torch.autograd.Function):
    """Autograd wrapper of the cross case: lse_i over all columns of y, gradients to x and y."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, y: torch.Tensor, scale: float) -> torch.Tensor:
        lse = gram_lse_forward(x, y, scale)
        ctx.save_for_backward(x, y, lse)
        ctx.scale = scale
        return lse

    @staticmethod
    def backward(ctx, grad_lse: torch.Tensor):
        x, y, lse = ctx.saved_tensors
        grad_lse = grad_lse.float().contiguous()
        grad_x = grad_y = None
        if ctx.needs_input_grad[0]:
            grad_x = gram_lse_backward(x, y, ctx.scale, grad_lse, lse)
        if ctx.needs_input_grad[1]:
            # dL/dy_j = scale * sum_i g_i exp(s_ji - lse_i) x_i: the column term with x and y swapped.
            grad_y = gram_lse_backward(y, x, ctx.scale, None, None, grad_lse, lse)
        return grad_x, grad_y, None


class SymmetricGramLSEFunction(torch.autograd.Function):
    """Autograd wrapper of the symmetric case (y = x) with the diagonal and optionally the pair masked."""

    @staticmethod
    def forward(ctx, z: torch.Tensor, scale: float, exclude_pair: bool) -> torch.Tensor:
        lse = gram_lse_forward(z, z, scale, exclude_diag=True, exclude_pair=exclude_pair)
        ctx.save_for_backward(z, lse)
        ctx.scale = scale
        ctx.exclude_pair = exclude_pair
        return lse

    @staticmethod
    def backward(ctx, grad_lse: torch.Tensor):
        z, lse = ctx.saved_tensors
        grad_lse = grad_lse.float().contiguous()
        grad_z = gram_lse_backward(
            z, z, ctx.scale, grad_lse, lse, grad_lse, lse,
            exclude_diag=True, exclude_pair=ctx.exclude_pair,
        )
        return grad_z, None, None


def gram_lse(x: torch.Tensor, y: Optional[torch.Tensor], scale: float, exclude_pair: bool = False) -> torch.Tensor:
    """Differentiable fused row log-sum-exp of ``scale * x @ y.T`` (float32, shape (M,)).

    Args:
        x: Rows, (M, D).
        y: Columns, (N, D); None for the symmetric case y = x, where column i
            is left out of row i (and so is column (i + M/2) mod M if ``exclude_pair``).
        scale: The factor of the dot products (1 / temperature).
        exclude_pair: Symmetric case only: also leave out each row's pair.

    >>> z = torch.nn.functional.normalize(torch.randn(8, 16, device="cuda"), dim=1)
    >>> lse = gram_lse(z, None, scale=2.0)  # (8,), NT-Xent's denominators
    """
    if y is None:
        return SymmetricGramLSEFunction.apply(x, scale, exclude_pair)
    return GramLSEFunction.apply(x, y, scale)
