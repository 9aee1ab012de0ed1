"""The loss modules dispatch to the fused kernels where those run (CUDA tensors, Triton).

Dispatch is forced here on CPU tensors, where the kernels run in Triton's
interpreter: the modules must give the eager values and gradients either way.
"""

import pytest
import torch

from fastssl import loss as fastssl_loss
from fastssl._ext import triton
from fastssl.loss import barlow_twins_loss, dcl_loss, dino_loss, ntx_ent_loss, swav_loss, vicreg_loss
from fastssl.loss.kernels import _dispatch

pytestmark = pytest.mark.skipif(not triton().available, reason="Triton is not installed")


def _values_and_grads(module, *inputs):
    inputs = [x.clone().requires_grad_(True) for x in inputs]
    value = module(*inputs)
    value.backward(torch.tensor(0.7))
    return value.detach(), [x.grad for x in inputs]


@pytest.fixture
def force_fused(monkeypatch):
    def force(module):
        # Modules that choose themselves, and the entry points' own choice (fused=None).
        monkeypatch.setattr(module, "fused_available", lambda *tensors: True, raising=False)
        monkeypatch.setattr(_dispatch, "fused_available", lambda *tensors: True)

    return force


@pytest.mark.parametrize("memory_bank_size", [0, 16], ids=["batch-negatives", "memory-bank"])
def test_ntxent_module_uses_kernel(force_fused, memory_bank_size):
    generator = torch.Generator().manual_seed(0)
    out0, out1 = torch.randn(7, 5, generator=generator), torch.randn(7, 5, generator=generator)
    torch.manual_seed(0)  # the memory bank starts random (and is not in the state_dict)
    eager_loss = fastssl_loss.NTXentLoss(temperature=0.3, memory_bank_size=(memory_bank_size, 5))
    torch.manual_seed(0)
    fused_loss = fastssl_loss.NTXentLoss(temperature=0.3, memory_bank_size=(memory_bank_size, 5))
    expected = _values_and_grads(eager_loss, out0, out1)
    force_fused(ntx_ent_loss)
    value, grads = _values_and_grads(fused_loss, out0, out1)
    torch.testing.assert_close(value, expected[0], rtol=1e-5, atol=1e-6)
    for grad, expected_grad in zip(grads, expected[1]):
        torch.testing.assert_close(grad, expected_grad, rtol=1e-4, atol=1e-6)


def test_dcl_module_uses_kernel(force_fused):
    torch.manual_seed(1)
    out0, out1 = torch.randn(6, 9), torch.randn(6, 9)
    expected = _values_and_grads(fastssl_loss.DCLWLoss(temperature=0.2), out0, out1)
    force_fused(dcl_loss)
    value, grads = _values_and_grads(fastssl_loss.DCLWLoss(temperature=0.2), out0, out1)
    torch.testing.assert_close(value, expected[0], rtol=1e-5, atol=1e-6)
    for grad, expected_grad in zip(grads, expected[1]):
        torch.testing.assert_close(grad, expected_grad, rtol=1e-4, atol=1e-6)


def test_dino_module_uses_kernel_and_updates_center(force_fused):
    torch.manual_seed(2)
    teacher = [torch.randn(4, 33) for _ in range(2)]
    student = [torch.randn(4, 33, requires_grad=True) for _ in range(3)]
    eager, fused = fastssl_loss.DINOLoss(output_dim=33), fastssl_loss.DINOLoss(output_dim=33)
    expected = eager(teacher, student)
    expected.backward()
    expected_grads = [s.grad.clone() for s in student]
    for s in student:
        s.grad = None
    force_fused(dino_loss)
    value = fused(teacher, student)
    value.backward()
    torch.testing.assert_close(value, expected, rtol=1e-5, atol=1e-6)
    for s, expected_grad in zip(student, expected_grads):
        torch.testing.assert_close(s.grad, expected_grad, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(fused.center, eager.center)


def _assert_same(got, expected):
    torch.testing.assert_close(got[0], expected[0], rtol=1e-5, atol=1e-6)
    for grad, expected_grad in zip(got[1], expected[1]):
        torch.testing.assert_close(grad, expected_grad, rtol=1e-4, atol=1e-6)


def test_barlow_twins_module_uses_kernel(force_fused):
    torch.manual_seed(3)
    z_a, z_b = torch.randn(9, 21), torch.randn(9, 21)
    expected = _values_and_grads(fastssl_loss.BarlowTwinsLoss(lambda_param=0.01), z_a, z_b)
    force_fused(barlow_twins_loss)
    _assert_same(_values_and_grads(fastssl_loss.BarlowTwinsLoss(lambda_param=0.01), z_a, z_b), expected)


@pytest.mark.parametrize("shape", [(7, 19), (5, 3, 17)], ids=["N7-D19", "N5-G3-D17"])
def test_vicreg_module_uses_kernel(force_fused, shape):
    torch.manual_seed(4)
    z_a, z_b = torch.randn(*shape), torch.randn(*shape)
    expected = _values_and_grads(fastssl_loss.VICRegLoss(), z_a, z_b)
    force_fused(vicreg_loss)
    _assert_same(_values_and_grads(fastssl_loss.VICRegLoss(), z_a, z_b), expected)


@pytest.mark.parametrize("queue_length", [0, 20], ids=["no-queue", "queue"])
def test_swav_module_uses_kernel(force_fused, queue_length):
    torch.manual_seed(5)
    high = [torch.nn.functional.normalize(torch.randn(6, 24), dim=1) for _ in range(2)]
    low = [torch.nn.functional.normalize(torch.randn(6, 24), dim=1) for _ in range(3)]
    queue = [torch.randn(queue_length, 24).tanh() for _ in range(2)] if queue_length else None

    def run():
        crops = [x.clone().requires_grad_(True) for x in high + low]
        value = fastssl_loss.SwaVLoss()(crops[:2], crops[2:], queue)
        value.backward(torch.tensor([0.7]))
        return value.detach(), [x.grad for x in crops]

    expected = run()
    force_fused(swav_loss)
    _assert_same(run(), expected)
