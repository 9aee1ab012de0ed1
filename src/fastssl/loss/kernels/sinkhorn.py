"""SwaV's Sinkhorn-Knopp codes in scaling form: two passes over the scores per iteration, one write.

Maths. Lightly's ``sinkhorn`` (with Q = exp(out / eps)^T, K prototypes x B samples)
divides Q by its total, then, per iteration, each prototype row by its sum, each
sample column by its sum and everything by B, and returns B * Q^T. Every step
rescales rows or columns, so with E_bk = exp(out_bk / eps) the result is

    P_bk = B * E_bk * r_k * c_b

with, starting from c_b = 1 (the first row normalization cancels the total),

    r_k = 1 / sum_b E_bk c_b            (rows of Q: prototypes)
    c_b = 1 / (B * sum_k E_bk r_k)      (columns of Q: samples, and the division by B)

per iteration; with no iteration r_k = 1 / sum_bk E_bk and c_b = 1.
Each half iteration is one launch that reads the (B, K) scores once and
recomputes E on the fly, storing only r (K floats) or c (B floats); a last launch
writes P. Eager PyTorch reads and writes the (K, B) matrix about nine times per
iteration. No max is subtracted before exp, as in Lightly, so overflow behaves
alike.

There is no backward: Lightly runs the algorithm under ``torch.no_grad`` and uses
the codes as targets, so this is a forward-only launcher, not an autograd.Function.
"""

from __future__ import annotations

from typing import Tuple

import torch
import triton
import triton.language as tl

from fastssl.loss.kernels._runtime import launch


@triton.jit
def _exp_scores(OUT, samples, prototypes, B, K, stride_b, stride_k, epsilon):
    """exp(out / eps) of one (samples x prototypes) block in float32; 0 outside the matrix."""
    mask = (samples < B)[:, None] & (prototypes < K)[None, :]
    x = tl.load(OUT + samples[:, None] * stride_b + prototypes[None, :] * stride_k, mask=mask, other=0.0)
    return tl.where(mask, tl.exp(x.to(tl.float32) / epsilon), 0.0)


@triton.jit
def _prototype_scale_kernel(
    OUT, SAMPLE_SCALE, PROTOTYPE_SCALE, B, K, stride_b, stride_k, epsilon,
    BLOCK_B: tl.constexpr, BLOCK_K: tl.constexpr,
):
    """r_k = 1 / sum_b E_bk c_b for one block of prototypes."""
    prototypes = tl.program_id(0) * BLOCK_K + tl.arange(0, BLOCK_K)
    acc = tl.zeros((BLOCK_K,), tl.float32)
    for b0 in range(0, B, BLOCK_B):
        samples = b0 + tl.arange(0, BLOCK_B)
        c = tl.load(SAMPLE_SCALE + samples, mask=samples < B, other=0.0)
        acc += tl.sum(_exp_scores(OUT, samples, prototypes, B, K, stride_b, stride_k, epsilon) * c[:, None], axis=0)
    tl.store(PROTOTYPE_SCALE + prototypes, 1.0 / acc, mask=prototypes < K)


@triton.jit
def _sample_scale_kernel(
    OUT, SAMPLE_SCALE, PROTOTYPE_SCALE, B, K, stride_b, stride_k, epsilon,
    BLOCK_B: tl.constexpr, BLOCK_K: tl.constexpr,
):
    """c_b = 1 / (B * sum_k E_bk r_k) for one block of samples."""
    samples = tl.program_id(0) * BLOCK_B + tl.arange(0, BLOCK_B)
    acc = tl.zeros((BLOCK_B,), tl.float32)
    for k0 in range(0, K, BLOCK_K):
        prototypes = k0 + tl.arange(0, BLOCK_K)
        r = tl.load(PROTOTYPE_SCALE + prototypes, mask=prototypes < K, other=0.0)
        acc += tl.sum(_exp_scores(OUT, samples, prototypes, B, K, stride_b, stride_k, epsilon) * r[None, :], axis=1)
    tl.store(SAMPLE_SCALE + samples, 1.0 / (acc * B), mask=samples < B)


@triton.jit
def _codes_kernel(
    OUT, SAMPLE_SCALE, PROTOTYPE_SCALE, CODES, B, K, stride_b, stride_k, stride_cb, stride_ck, epsilon,
    BLOCK_B: tl.constexpr, BLOCK_K: tl.constexpr,
):
    """P_bk = B * E_bk * r_k * c_b for one (BLOCK_B x BLOCK_K) block."""
    samples = tl.program_id(0) * BLOCK_B + tl.arange(0, BLOCK_B)
    prototypes = tl.program_id(1) * BLOCK_K + tl.arange(0, BLOCK_K)
    c = tl.load(SAMPLE_SCALE + samples, mask=samples < B, other=0.0)
    r = tl.load(PROTOTYPE_SCALE + prototypes, mask=prototypes < K, other=0.0)
    e = _exp_scores(OUT, samples, prototypes, B, K, stride_b, stride_k, epsilon)
    codes = e * r[None, :] * (c * B)[:, None]
    tl.store(CODES + samples[:, None] * stride_cb + prototypes[None, :] * stride_ck,
             codes.to(CODES.dtype.element_ty), mask=(samples < B)[:, None] & (prototypes < K)[None, :])


def _blocks(device: torch.device) -> Tuple[int, int]:
    """(BLOCK_B, BLOCK_K): 16 x 16 blocks in the interpreter, so tests cross block edges."""
    if device.type == "cuda":
        return 16, 128
    return 16, 16


def sinkhorn_forward(out: torch.Tensor, iterations: int, epsilon: float) -> torch.Tensor:
    """The codes P (B, K) of scores ``out`` (B, K), in the dtype of ``out`` (computed in float32)."""
    batch, prototypes = out.shape
    block_b, block_k = _blocks(out.device)
    sample_scale = torch.ones(batch, device=out.device, dtype=torch.float32)
    prototype_scale = torch.empty(prototypes, device=out.device, dtype=torch.float32)
    codes = torch.empty(out.shape, device=out.device, dtype=out.dtype)
    common = (out, sample_scale, prototype_scale, batch, prototypes, out.stride(0), out.stride(1), float(epsilon))
    by_prototype = (triton.cdiv(prototypes, block_k),)
    by_sample = (triton.cdiv(batch, block_b),)
    blocks = dict(BLOCK_B=block_b, BLOCK_K=block_k)
    if iterations == 0:
        # r_k = 1 / (sum of all E): the prototype sums with c = 1, totalled.
        launch(_prototype_scale_kernel, by_prototype, out.device, *common, **blocks)
        prototype_scale.fill_(1.0 / prototype_scale.reciprocal().sum().item())
    for _ in range(iterations):
        launch(_prototype_scale_kernel, by_prototype, out.device, *common, **blocks)
        launch(_sample_scale_kernel, by_sample, out.device, *common, **blocks)
    launch(
        _codes_kernel, (triton.cdiv(batch, block_b), triton.cdiv(prototypes, block_k)), out.device,
        out, sample_scale, prototype_scale, codes, batch, prototypes,
        out.stride(0), out.stride(1), codes.stride(0), codes.stride(1), float(epsilon), **blocks,
    )
    return codes
