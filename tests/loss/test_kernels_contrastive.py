"""Fused NT-Xent and DCL (tiled Gram log-sum-exp kernels) against their eager references and Lightly.

On CPU the kernels run in Triton's interpreter on small shapes that still cross
tile edges (16 x 16 tiles, 32-wide feature chunks there); the cuda tests run the
compiled kernels on larger shapes.
"""

from __future__ import annotations

from functools import partial

import lightly.loss
import pytest
import torch
from lightly.loss.dcl_loss import negative_mises_fisher_weights

from fastssl.loss.kernels import dcl_loss, dcl_reference, ntxent_loss, ntxent_reference

pytest.importorskip("triton")

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

# (batch N, dim d): one row block, a partial second block, several blocks and feature chunks.
SHAPES = [(1, 3), (2, 5), (8, 16), (9, 33), (17, 7), (37, 20), (12, 130)]
TOLERANCES = {  # (rtol, atol) of the loss and of the gradients against the float32 reference
    torch.float32: (1e-5, 1e-6),
    torch.float16: (1e-2, 1e-3),
    torch.bfloat16: (3e-2, 1e-2),
}


def _inputs(n, d, dtype=torch.float32, device="cpu", seed=0):
    g = torch.Generator().manual_seed(seed)
    out0 = torch.randn(n, d, generator=g).to(device, dtype).requires_grad_()
    out1 = torch.randn(n, d, generator=g).to(device, dtype).requires_grad_()
    return out0, out1


def _value_and_grads(fn, inputs, grad_output=-1.7):
    for x in inputs:
        x.grad = None
    loss = fn(*inputs)
    loss.backward(torch.tensor(grad_output, dtype=loss.dtype, device=loss.device))
    return loss.detach().float(), [x.grad.float() for x in inputs]


def _assert_close(got, want, dtype):
    rtol, atol = TOLERANCES[dtype]
    (loss, grads), (ref_loss, ref_grads) = got, want
    torch.testing.assert_close(loss, ref_loss, rtol=rtol, atol=atol)
    for grad, ref_grad in zip(grads, ref_grads):
        torch.testing.assert_close(grad, ref_grad, rtol=rtol, atol=atol * 10)


def _reference_in_float32(fn, inputs):
    """The eager reference on float32 copies of (possibly half precision) inputs."""
    copies = [x.detach().float().requires_grad_() for x in inputs]
    return _value_and_grads(fn, copies)


@pytest.mark.parametrize("n, d", SHAPES, ids=[f"N{n}-d{d}" for n, d in SHAPES])
def test_ntxent_reference_equals_lightly(n, d):
    inputs = _inputs(n, d)
    got = _value_and_grads(lambda a, b: ntxent_reference(a, b, 0.5), inputs)
    want = _value_and_grads(lightly.loss.NTXentLoss(temperature=0.5), inputs)
    _assert_close(got, want, torch.float32)


@pytest.mark.parametrize("n, d", SHAPES, ids=[f"N{n}-d{d}" for n, d in SHAPES])
def test_ntxent_fused_equals_reference(n, d):
    inputs = _inputs(n, d)
    got = _value_and_grads(lambda a, b: ntxent_loss(a, b, 0.3, fused=True), inputs)
    want = _value_and_grads(lambda a, b: ntxent_reference(a, b, 0.3), inputs)
    _assert_close(got, want, torch.float32)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["fp16", "bf16"])
def test_ntxent_fused_half_precision(dtype):
    inputs = _inputs(9, 24, dtype)
    got = _value_and_grads(lambda a, b: ntxent_loss(a, b, 0.5, fused=True), inputs)
    assert inputs[0].grad.dtype == dtype
    _assert_close(got, _reference_in_float32(lambda a, b: ntxent_reference(a, b, 0.5), inputs), dtype)


@pytest.mark.parametrize("n, d, k", [(5, 8, 3), (9, 33, 40)], ids=["N5-d8-bank3", "N9-d33-bank40"])
def test_ntxent_memory_bank_fused_equals_reference_and_lightly(n, d, k):
    inputs = _inputs(n, d)
    loss_fn = lightly.loss.NTXentLoss(temperature=0.2, memory_bank_size=(k, d))
    # The bank as Lightly's loss reads it: (d, k), filled from earlier steps.
    bank = torch.nn.functional.normalize(torch.randn(k, d, generator=torch.Generator().manual_seed(1)), dim=1)
    loss_fn.memory_bank.bank.copy_(bank)
    negatives = bank.t()
    lightly_value = _value_and_grads(loss_fn, inputs)
    reference = _value_and_grads(lambda a, b: ntxent_reference(a, b, 0.2, negatives), inputs)
    fused = _value_and_grads(lambda a, b: ntxent_loss(a, b, 0.2, negatives, fused=True), inputs)
    _assert_close(reference, lightly_value, torch.float32)
    _assert_close(fused, reference, torch.float32)


def test_ntxent_memory_bank_gradient_reaches_negatives_that_require_it():
    out0, out1 = _inputs(6, 10)
    negatives = torch.randn(10, 19, generator=torch.Generator().manual_seed(2)).requires_grad_()
    inputs = [out0, out1, negatives]
    got = _value_and_grads(lambda a, b, n: ntxent_loss(a, b, 0.5, n, fused=True), inputs)
    want = _value_and_grads(lambda a, b, n: ntxent_reference(a, b, 0.5, n), inputs)
    _assert_close(got, want, torch.float32)


@pytest.mark.parametrize("n, d", SHAPES[1:], ids=[f"N{n}-d{d}" for n, d in SHAPES[1:]])
def test_dcl_reference_equals_lightly(n, d):
    inputs = _inputs(n, d)
    _assert_close(
        _value_and_grads(lambda a, b: dcl_reference(a, b, 0.1), inputs),
        _value_and_grads(lightly.loss.DCLLoss(temperature=0.1), inputs),
        torch.float32,
    )


@pytest.mark.parametrize("n, d", SHAPES[1:], ids=[f"N{n}-d{d}" for n, d in SHAPES[1:]])
def test_dcl_fused_equals_reference(n, d):
    inputs = _inputs(n, d)
    _assert_close(
        _value_and_grads(lambda a, b: dcl_loss(a, b, 0.1, fused=True), inputs),
        _value_and_grads(lambda a, b: dcl_reference(a, b, 0.1), inputs),
        torch.float32,
    )


@pytest.mark.filterwarnings("ignore:To copy construct from a tensor")  # Lightly's DCLW weights
@pytest.mark.parametrize("n, d", [(2, 5), (17, 7), (12, 130)], ids=["N2-d5", "N17-d7", "N12-d130"])
def test_dclw_fused_equals_lightly(n, d):
    inputs = _inputs(n, d)
    weight_fn = partial(negative_mises_fisher_weights, sigma=0.5)
    _assert_close(
        _value_and_grads(lambda a, b: dcl_loss(a, b, 0.1, weight_fn, fused=True), inputs),
        _value_and_grads(lightly.loss.DCLWLoss(temperature=0.1, sigma=0.5), inputs),
        torch.float32,
    )


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["fp16", "bf16"])
def test_dcl_fused_half_precision(dtype):
    inputs = _inputs(9, 24, dtype)
    _assert_close(
        _value_and_grads(lambda a, b: dcl_loss(a, b, 0.5, fused=True), inputs),
        _reference_in_float32(lambda a, b: dcl_reference(a, b, 0.5), inputs),
        dtype,
    )


def test_default_dispatch_on_cpu_is_the_eager_reference():
    out0, out1 = _inputs(4, 8)
    assert torch.equal(ntxent_loss(out0, out1), ntxent_reference(out0, out1))
    assert torch.equal(dcl_loss(out0, out1), dcl_reference(out0, out1))


@cuda
@pytest.mark.cuda
@pytest.mark.parametrize("n, d", [(256, 128), (1000, 64), (513, 300)], ids=["N256-d128", "N1000-d64", "N513-d300"])
def test_fused_contrastive_on_gpu(n, d):
    inputs = _inputs(n, d, device="cuda")
    for fused, reference in [(ntxent_loss, ntxent_reference), (dcl_loss, dcl_reference)]:
        got = _value_and_grads(lambda a, b: fused(a, b, 0.2), inputs)
        want = _value_and_grads(lambda a, b: reference(a, b, 0.2), inputs)
        torch.testing.assert_close(got[0], want[0], rtol=1e-5, atol=1e-5)
        for grad, ref_grad in zip(got[1], want[1]):
            torch.testing.assert_close(grad, ref_grad, rtol=1e-4, atol=1e-6)


@cuda
@pytest.mark.cuda
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["fp16", "bf16"])
def test_fused_ntxent_half_precision_on_gpu(dtype):
    inputs = _inputs(1024, 128, dtype, device="cuda")
    got = _value_and_grads(lambda a, b: ntxent_loss(a, b, 0.5), inputs)
    _assert_close(got, _reference_in_float32(lambda a, b: ntxent_reference(a, b, 0.5), inputs), dtype)
