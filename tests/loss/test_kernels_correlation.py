"""Fused Barlow Twins and VICReg covariance (tiled cross-correlation kernels) against their references and Lightly.

On CPU the kernels run in Triton's interpreter with 16 x 16 tiles and 16-sample
chunks, so the odd shapes below cross tile edges in both the feature and the
batch dimension; the cuda tests run the compiled kernels on larger shapes.
"""

from __future__ import annotations

import lightly.loss
import pytest
import torch
from lightly.loss.vicreg_loss import covariance_loss as lightly_covariance_loss

from fastssl.loss.kernels import (
    barlow_twins_loss,
    barlow_twins_reference,
    vicreg_covariance_loss,
    vicreg_covariance_reference,
)

pytest.importorskip("triton")

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

# (batch N, dim D): a single tile, partial tiles, several tiles and batch chunks.
SHAPES = [(2, 3), (5, 16), (9, 33), (17, 7), (37, 20), (12, 130)]
SHAPE_IDS = [f"N{n}-D{d}" for n, d in SHAPES]
TOLERANCES = {  # (rtol, atol) of the loss and of the gradients against the float32 reference
    torch.float32: (1e-5, 1e-6),
    torch.float16: (1e-2, 1e-3),
    torch.bfloat16: (3e-2, 1e-2),
}
# float32 on the GPU: cuBLAS and the tiles sum up to 8192 x 8192 terms in different orders.
GPU_TOLERANCES = (1e-4, 1e-6)
GPU_SHAPES = [(256, 8192), (1000, 130), (2048, 2048)]


def _shape_id(shape):
    return "x".join(map(str, shape))


def _views(shape, count=2, dtype=torch.float32, device="cpu", seed=0):
    g = torch.Generator().manual_seed(seed)
    # Correlated views, so that the diagonal of the cross-correlation is far from 0.
    base = torch.randn(*shape, generator=g)
    return [(base + 0.5 * torch.randn(*shape, generator=g)).to(device, dtype).requires_grad_() for _ in range(count)]


def _value_and_grads(fn, inputs, grad_output=-1.7):
    for x in inputs:
        x.grad = None
    loss = fn(*inputs)
    loss.backward(torch.tensor(grad_output, dtype=loss.dtype, device=loss.device))
    return loss.detach().float(), [x.grad.float() for x in inputs]


def _assert_close(got, want, dtype=torch.float32, tolerances=None):
    rtol, atol = tolerances or TOLERANCES[dtype]
    (loss, grads), (ref_loss, ref_grads) = got, want
    torch.testing.assert_close(loss, ref_loss, rtol=rtol, atol=atol)
    assert len(grads) == len(ref_grads)
    for grad, ref_grad in zip(grads, ref_grads):
        torch.testing.assert_close(grad, ref_grad, rtol=rtol, atol=atol * 10)


def _reference_in_float32(fn, inputs):
    """The eager reference on float32 copies of (possibly half precision) inputs."""
    return _value_and_grads(fn, [x.detach().float().requires_grad_() for x in inputs])


@pytest.mark.parametrize("n, d", SHAPES, ids=SHAPE_IDS)
def test_barlow_twins_reference_equals_lightly(n, d):
    inputs = _views((n, d))
    got = _value_and_grads(lambda a, b: barlow_twins_reference(a, b, 0.02), inputs)
    want = _value_and_grads(lightly.loss.BarlowTwinsLoss(lambda_param=0.02), inputs)
    _assert_close(got, want)


@pytest.mark.parametrize("n, d", SHAPES, ids=SHAPE_IDS)
def test_barlow_twins_fused_equals_reference(n, d):
    inputs = _views((n, d))
    got = _value_and_grads(lambda a, b: barlow_twins_loss(a, b, 0.02, fused=True), inputs)
    want = _value_and_grads(lambda a, b: barlow_twins_reference(a, b, 0.02), inputs)
    _assert_close(got, want)


def test_barlow_twins_fused_gradient_to_one_view_only():
    z_a, z_b = _views((9, 20))
    z_b.requires_grad_(False)
    got = _value_and_grads(lambda a: barlow_twins_loss(a, z_b, fused=True), [z_a])
    want = _value_and_grads(lambda a: barlow_twins_reference(a, z_b), [z_a])
    _assert_close(got, want)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["fp16", "bf16"])
def test_barlow_twins_fused_half_precision(dtype):
    inputs = _views((11, 24), dtype=dtype)
    got = _value_and_grads(lambda a, b: barlow_twins_loss(a, b, fused=True), inputs)
    assert all(x.grad.dtype == dtype for x in inputs)
    _assert_close(got, _reference_in_float32(barlow_twins_reference, inputs), dtype)


@pytest.mark.parametrize("shape", [(5, 16), (12, 130), (4, 3, 20), (3, 2, 2, 9)], ids=_shape_id)
def test_vicreg_covariance_reference_equals_lightly(shape):
    inputs = _views(shape, count=1)
    _assert_close(_value_and_grads(vicreg_covariance_reference, inputs),
                  _value_and_grads(lightly_covariance_loss, inputs))


@pytest.mark.parametrize(
    "shape", SHAPES + [(4, 3, 20), (3, 2, 2, 9)], ids=SHAPE_IDS + ["N4-G3-D20", "N3-G2x2-D9"]
)
def test_vicreg_covariance_fused_equals_reference(shape):
    inputs = _views(shape, count=1)
    got = _value_and_grads(lambda x: vicreg_covariance_loss(x, fused=True), inputs)
    _assert_close(got, _value_and_grads(vicreg_covariance_reference, inputs))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["fp16", "bf16"])
def test_vicreg_covariance_fused_half_precision(dtype):
    inputs = _views((11, 24), count=1, dtype=dtype)
    got = _value_and_grads(lambda x: vicreg_covariance_loss(x, fused=True), inputs)
    assert inputs[0].grad.dtype == dtype
    _assert_close(got, _reference_in_float32(vicreg_covariance_reference, inputs), dtype)


@pytest.mark.parametrize("fused", [False, True], ids=["eager", "fused"])
def test_vicreg_covariance_rejects_a_single_sample(fused):
    with pytest.raises(ValueError, match=r"x must have shape .* batch_size >= 2, got \(1, 8\)"):
        vicreg_covariance_loss(torch.randn(1, 8), fused=fused)


@cuda
@pytest.mark.cuda
@pytest.mark.parametrize("n, d", GPU_SHAPES, ids=[f"N{n}-D{d}" for n, d in GPU_SHAPES])
def test_barlow_twins_fused_on_gpu(n, d):
    inputs = _views((n, d), device="cuda")
    got = _value_and_grads(lambda a, b: barlow_twins_loss(a, b), inputs)
    want = _value_and_grads(lightly.loss.BarlowTwinsLoss(), inputs)
    _assert_close(got, want, tolerances=GPU_TOLERANCES)


@cuda
@pytest.mark.cuda
@pytest.mark.parametrize("shape", [(256, 8192), (1000, 130), (64, 7, 512)], ids=_shape_id)
def test_vicreg_covariance_fused_on_gpu(shape):
    inputs = _views(shape, count=1, device="cuda")
    got = _value_and_grads(lambda x: vicreg_covariance_loss(x), inputs)
    _assert_close(got, _value_and_grads(lightly_covariance_loss, inputs), tolerances=GPU_TOLERANCES)
