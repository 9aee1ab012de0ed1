"""Fused DINO cross-entropy (chunked over the prototypes) against its eager reference and Lightly."""

from __future__ import annotations

import lightly.loss
import pytest
import torch

from fastssl.loss.kernels import dino_loss

pytest.importorskip("triton")

# (teacher views, student views, batch, prototypes): D chunks of 64 in the interpreter.
CASES = [(2, 2, 1, 3), (2, 3, 4, 100), (1, 2, 3, 64), (2, 1, 5, 65), (2, 6, 3, 130), (3, 3, 2, 17)]
IDS = [f"t{t}-s{s}-B{b}-D{d}" for t, s, b, d in CASES]


def _views(n_teacher, n_student, batch, dim, device="cpu", teacher_grad=False, seed=0):
    g = torch.Generator().manual_seed(seed)
    teacher = [(3 * torch.randn(batch, dim, generator=g)).to(device).requires_grad_(teacher_grad) for _ in range(n_teacher)]
    student = [(3 * torch.randn(batch, dim, generator=g)).to(device).requires_grad_() for _ in range(n_student)]
    center = (0.5 * torch.randn(1, 1, dim, generator=g)).to(device)
    return teacher, student, center


def _value_and_grads(fn, teacher, student, grad_output=0.6):
    inputs = [x for x in teacher + student if x.requires_grad]
    for x in inputs:
        x.grad = None
    loss = fn(teacher, student)
    loss.backward(torch.tensor(grad_output, device=loss.device))
    return loss.detach(), [x.grad.clone() for x in inputs]


def _assert_close(got, want, rtol=1e-5, atol=1e-6):
    torch.testing.assert_close(got[0], want[0], rtol=rtol, atol=atol)
    assert len(got[1]) == len(want[1])
    for grad, ref_grad in zip(got[1], want[1]):
        torch.testing.assert_close(grad, ref_grad, rtol=rtol, atol=atol * 10)


def _lightly(center, teacher_temp, student_temp):
    loss_fn = lightly.loss.DINOLoss(center.shape[-1], teacher_temp=teacher_temp, student_temp=student_temp)
    loss_fn.center.copy_(center)
    return loss_fn


@pytest.mark.parametrize("t, s, b, d", CASES, ids=IDS)
def test_dino_reference_equals_lightly(t, s, b, d):
    teacher, student, center = _views(t, s, b, d, teacher_grad=True)
    got = _value_and_grads(lambda tv, sv: dino_loss(tv, sv, center, 0.04, 0.1, fused=False), teacher, student)
    want = _value_and_grads(_lightly(center, 0.04, 0.1), teacher, student)
    _assert_close(got, want)


@pytest.mark.parametrize("teacher_grad", [False, True], ids=["teacher-detached", "teacher-grad"])
@pytest.mark.parametrize("t, s, b, d", CASES, ids=IDS)
def test_dino_fused_equals_reference(t, s, b, d, teacher_grad):
    teacher, student, center = _views(t, s, b, d, teacher_grad=teacher_grad)
    got = _value_and_grads(lambda tv, sv: dino_loss(tv, sv, center, 0.07, 0.2, fused=True), teacher, student)
    want = _value_and_grads(lambda tv, sv: dino_loss(tv, sv, center, 0.07, 0.2, fused=False), teacher, student)
    _assert_close(got, want, rtol=2e-5)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["fp16", "bf16"])
def test_dino_fused_half_precision(dtype):
    teacher, student, center = _views(2, 4, 3, 90)
    teacher = [x.to(dtype) for x in teacher]
    student = [x.detach().to(dtype).requires_grad_() for x in student]
    loss, grads = _value_and_grads(lambda tv, sv: dino_loss(tv, sv, center, 0.04, 0.1, fused=True), teacher, student)
    assert all(g.dtype == dtype for g in grads)
    student32 = [x.detach().float().requires_grad_() for x in student]
    want = _value_and_grads(
        lambda tv, sv: dino_loss(tv, sv, center, 0.04, 0.1, fused=False), [x.float() for x in teacher], student32
    )
    _assert_close((loss, [g.float() for g in grads]), want, rtol=2e-2, atol=2e-3)


def test_dino_loss_rejects_a_single_view():
    teacher, student, center = _views(1, 1, 2, 8)
    with pytest.raises(ValueError, match="1 teacher view\\(s\\) and 1 student view\\(s\\)"):
        dino_loss(teacher, student, center)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.cuda
@pytest.mark.parametrize("t, s, b, d", [(2, 2, 64, 65536), (2, 10, 16, 4096), (2, 3, 33, 1000)])
def test_dino_fused_on_gpu(t, s, b, d):
    teacher, student, center = _views(t, s, b, d, device="cuda", teacher_grad=True)
    got = _value_and_grads(lambda tv, sv: dino_loss(tv, sv, center, 0.04, 0.1), teacher, student)
    want = _value_and_grads(_lightly(center, 0.04, 0.1).cuda(), teacher, student)
    _assert_close(got, want, rtol=1e-4, atol=1e-6)
