"""DINO's centered, sharpened teacher-student cross-entropy, fused and chunked over the prototypes.

Maths. For each sample b, teacher views t (logits T_t, D prototypes), student
views s (logits S_s), center c and temperatures tau_t, tau_s:

    p_t   = softmax((T_t - c) / tau_t)              lse_t = logsumexp((T_t - c) / tau_t)
    log q_s = S_s / tau_s - lse_s                   lse_s = logsumexp(S_s / tau_s)
    row_b = -sum_{t != s} sum_d p_td log q_sd = -sum_{t != s} (<p_t, S_s> / tau_s - lse_s)

(the pair t != s compares view indices, as Lightly's fill_diagonal_ does).
Forward: one program per sample walks over D in chunks, keeping online max/sum
for every lse and an online-rescaled sum_d exp((T_td - c_d)/tau_t - m_t) S_sd
for every (t, s) pair; it stores row_b, lse_t, lse_s and
cross_t = sum_{s != t} sum_d p_td log q_sd. No (views x B x D) float32
intermediate exists.

Backward, with k_s the number of teacher views t != s and an upstream g_b:

    d row_b / d S_sd = (k_s q_sd - sum_{t != s} p_td) / tau_s
    d row_b / d T_td = -p_td (sum_{s != t} log q_sd - cross_t) / tau_t

an elementwise pass (one program per sample and chunk of D) that recomputes p
and q from the saved lse.
"""

from __future__ import annotations

from typing import Optional, Tuple

import torch
import triton
import triton.language as tl

from fastssl.loss.kernels._runtime import launch


@triton.jit
def _dino_ce_fwd_kernel(
    T, S, C, ROW, LSE_T, LSE_S, CROSS_T,
    B, D, NT, NS, inv_tt, inv_ts,
    BLOCK_T: tl.constexpr, BLOCK_S: tl.constexpr, BLOCK_D: tl.constexpr,
):
    # 64-bit offsets: views x B x D passes 2**31 at 65,536 prototypes and large batches.
    b = tl.program_id(0).to(tl.int64)
    tv = tl.arange(0, BLOCK_T).to(tl.int64)
    sv = tl.arange(0, BLOCK_S).to(tl.int64)
    t_ok = tv < NT
    s_ok = sv < NS
    m_t = tl.full((BLOCK_T,), -1.0e30, tl.float32)
    l_t = tl.zeros((BLOCK_T,), tl.float32)
    m_s = tl.full((BLOCK_S,), -1.0e30, tl.float32)
    l_s = tl.zeros((BLOCK_S,), tl.float32)
    acc = tl.zeros((BLOCK_T, BLOCK_S), tl.float32)
    for d0 in range(0, D, BLOCK_D):
        d = d0 + tl.arange(0, BLOCK_D)
        d_ok = d < D
        c = tl.load(C + d, mask=d_ok, other=0.0).to(tl.float32)
        t_mask = t_ok[:, None] & d_ok[None, :]
        s_mask = s_ok[:, None] & d_ok[None, :]
        teacher = tl.load(T + tv[:, None] * B * D + b * D + d[None, :], mask=t_mask, other=0.0).to(tl.float32)
        student = tl.load(S + sv[:, None] * B * D + b * D + d[None, :], mask=s_mask, other=0.0).to(tl.float32)
        u = tl.where(t_mask, (teacher - c[None, :]) * inv_tt, float("-inf"))
        m_t_new = tl.maximum(m_t, tl.max(u, axis=1))
        alpha = tl.exp(m_t - m_t_new)
        e = tl.exp(u - m_t_new[:, None])
        l_t = l_t * alpha + tl.sum(e, axis=1)
        acc = acc * alpha[:, None] + tl.sum(e[:, None, :] * student[None, :, :], axis=2)
        m_t = m_t_new
        v = tl.where(s_mask, student * inv_ts, float("-inf"))
        m_s_new = tl.maximum(m_s, tl.max(v, axis=1))
        l_s = l_s * tl.exp(m_s - m_s_new) + tl.sum(tl.exp(v - m_s_new[:, None]), axis=1)
        m_s = m_s_new
    lse_t = m_t + tl.log(l_t)
    lse_s = m_s + tl.log(l_s)
    pair = t_ok[:, None] & s_ok[None, :] & (tv[:, None] != sv[None, :])
    cross = tl.where(pair, acc / l_t[:, None] * inv_ts - lse_s[None, :], 0.0)
    cross_t = tl.sum(cross, axis=1)
    tl.store(ROW + b, -tl.sum(cross_t, axis=0))
    tl.store(LSE_T + b * NT + tv, lse_t, mask=t_ok)
    tl.store(LSE_S + b * NS + sv, lse_s, mask=s_ok)
    tl.store(CROSS_T + b * NT + tv, cross_t, mask=t_ok)


@triton.jit
def _dino_ce_bwd_kernel(
    T, S, C, LSE_T, LSE_S, CROSS_T, G, DT, DS,
    B, D, NT, NS, inv_tt, inv_ts,
    TEACHER_GRAD: tl.constexpr, STUDENT_GRAD: tl.constexpr,
    BLOCK_T: tl.constexpr, BLOCK_S: tl.constexpr, BLOCK_D: tl.constexpr,
):
    # 64-bit offsets: views x B x D passes 2**31 at 65,536 prototypes and large batches.
    b = tl.program_id(0).to(tl.int64)
    d = tl.program_id(1) * BLOCK_D + tl.arange(0, BLOCK_D)
    d_ok = d < D
    tv = tl.arange(0, BLOCK_T).to(tl.int64)
    sv = tl.arange(0, BLOCK_S).to(tl.int64)
    t_ok = tv < NT
    s_ok = sv < NS
    t_mask = t_ok[:, None] & d_ok[None, :]
    s_mask = s_ok[:, None] & d_ok[None, :]
    g = tl.load(G + b)
    c = tl.load(C + d, mask=d_ok, other=0.0).to(tl.float32)
    lse_t = tl.load(LSE_T + b * NT + tv, mask=t_ok, other=0.0)
    lse_s = tl.load(LSE_S + b * NS + sv, mask=s_ok, other=0.0)
    teacher = tl.load(T + tv[:, None] * B * D + b * D + d[None, :], mask=t_mask, other=0.0).to(tl.float32)
    student = tl.load(S + sv[:, None] * B * D + b * D + d[None, :], mask=s_mask, other=0.0).to(tl.float32)
    p = tl.where(t_mask, tl.exp((teacher - c[None, :]) * inv_tt - lse_t[:, None]), 0.0)
    log_q = student * inv_ts - lse_s[:, None]
    pair = t_ok[:, None] & s_ok[None, :] & (tv[:, None] != sv[None, :])
    pair3 = pair[:, :, None]
    if STUDENT_GRAD:
        k_s = tl.sum(pair.to(tl.float32), axis=0)
        p_others = tl.sum(tl.where(pair3, p[:, None, :], 0.0), axis=0)
        ds = g * inv_ts * (k_s[:, None] * tl.exp(log_q) - p_others)
        tl.store(DS + sv[:, None] * B * D + b * D + d[None, :], ds.to(DS.dtype.element_ty), mask=s_mask)
    if TEACHER_GRAD:
        cross_t = tl.load(CROSS_T + b * NT + tv, mask=t_ok, other=0.0)
        log_q_others = tl.sum(tl.where(pair3, log_q[None, :, :], 0.0), axis=1)
        dt = -g * inv_tt * p * (log_q_others - cross_t[:, None])
        tl.store(DT + tv[:, None] * B * D + b * D + d[None, :], dt.to(DT.dtype.element_ty), mask=t_mask)


def _blocks(device: torch.device, n_teacher: int, n_student: int, dim: int) -> Tuple[int, int, int, int]:
    """(BLOCK_T, BLOCK_S, forward BLOCK_D, backward BLOCK_D); small D chunks in the interpreter."""
    block_t = triton.next_power_of_2(n_teacher)
    block_s = triton.next_power_of_2(n_student)
    if device.type == "cuda":
        # The (t, s, BLOCK_D) products stay within ~8K float32 values per program.
        block_d = max(16, min(1024, triton.next_power_of_2(dim), 8192 // (block_t * block_s)))
        return block_t, block_s, block_d, block_d
    block_d = max(16, min(64, triton.next_power_of_2(dim)))
    return block_t, block_s, block_d, block_d


def dino_ce_forward(
    teacher: torch.Tensor, student: torch.Tensor, center: torch.Tensor, teacher_temp: float, student_temp: float
) -> Tuple[torch.Tensor, ...]:
    """Per-sample losses row_b (float32, (B,)) and the statistics the backward needs."""
    n_teacher, batch, dim = teacher.shape
    n_student = student.shape[0]
    f32 = dict(device=teacher.device, dtype=torch.float32)
    row = torch.empty(batch, **f32)
    lse_t = torch.empty(batch, n_teacher, **f32)
    lse_s = torch.empty(batch, n_student, **f32)
    cross_t = torch.empty(batch, n_teacher, **f32)
    block_t, block_s, block_d, _ = _blocks(teacher.device, n_teacher, n_student, dim)
    launch(
        _dino_ce_fwd_kernel, (batch,), teacher.device,
        teacher, student, center, row, lse_t, lse_s, cross_t,
        batch, dim, n_teacher, n_student, 1.0 / teacher_temp, 1.0 / student_temp,
        BLOCK_T=block_t, BLOCK_S=block_s, BLOCK_D=block_d,
    )
    return row, lse_t, lse_s, cross_t


def dino_ce_backward(
    teacher: torch.Tensor,
    student: torch.Tensor,
    center: torch.Tensor,
    teacher_temp: float,
    student_temp: float,
    stats: Tuple[torch.Tensor, ...],
    grad_row: torch.Tensor,
    teacher_grad: bool,
    student_grad: bool,
) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
    """Gradients of sum_b grad_row_b * row_b with respect to the teacher and student logits."""
    n_teacher, batch, dim = teacher.shape
    n_student = student.shape[0]
    _, lse_t, lse_s, cross_t = stats
    grad_teacher = torch.empty_like(teacher) if teacher_grad else None
    grad_student = torch.empty_like(student) if student_grad else None
    block_t, block_s, _, block_d = _blocks(teacher.device, n_teacher, n_student, dim)
    launch(
        _dino_ce_bwd_kernel, (batch, triton.cdiv(dim, block_d)), teacher.device,
        teacher, student, center, lse_t, lse_s, cross_t, grad_row,
        teacher if grad_teacher is None else grad_teacher,
        student if grad_student is None else grad_student,
        batch, dim, n_teacher, n_student, 1.0 / teacher_temp, 1.0 / student_temp,
        TEACHER_GRAD=teacher_grad, STUDENT_GRAD=student_grad,
        BLOCK_T=block_t, BLOCK_S=block_s, BLOCK_D=block_d,
    )
    return grad_teacher, grad_student


class DINOCrossEntropyFunction(torch.autograd.Function):
    """Per-sample DINO cross-entropy ``row`` (B,) of stacked teacher (t, B, D) and student (s, B, D) logits."""

    @staticmethod
    def forward(ctx, teacher, student, center, teacher_temp: float, student_temp: float):
        teacher = teacher.contiguous()
        student = student.contiguous()
        center = center.reshape(-1).contiguous()
        stats = dino_ce_forward(teacher, student, center, teacher_temp, student_temp)
        ctx.save_for_backward(teacher, student, center, *stats)
        ctx.temps = (teacher_temp, student_temp)
        return stats[0]

    @staticmethod
    def backward(ctx, grad_row):
        teacher, student, center, *stats = ctx.saved_tensors
        grad_teacher, grad_student = dino_ce_backward(
            teacher, student, center, *ctx.temps, tuple(stats), grad_row.float().contiguous(),
            teacher_grad=ctx.needs_input_grad[0], student_grad=ctx.needs_input_grad[1],
        )
        return grad_teacher, grad_student, None, None, None
