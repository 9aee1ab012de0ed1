"""Fused SwaV Sinkhorn-Knopp (scaling-form kernels) against its eager reference and Lightly's ``sinkhorn``.

On CPU the kernels run in Triton's interpreter with 16 x 16 blocks; the shapes
below cross block edges in both dimensions. The codes carry no gradient, as in
Lightly (which runs the algorithm under ``torch.no_grad``).
"""

from __future__ import annotations

import pytest
import torch
from lightly.loss.swav_loss import sinkhorn as lightly_sinkhorn

from fastssl.loss.kernels import sinkhorn_knopp, sinkhorn_knopp_reference

pytest.importorskip("triton")

# (batch B, prototypes K)
SHAPES = [(1, 3), (2, 5), (16, 16), (17, 33), (37, 130)]
SHAPE_IDS = [f"B{b}-K{k}" for b, k in SHAPES]
ITERATIONS = [0, 1, 3]


def _scores(batch, prototypes, dtype=torch.float32, device="cpu", seed=0):
    """Cosine similarities of normalized features and prototypes, in [-1, 1] as in SwaV."""
    g = torch.Generator().manual_seed(seed)
    features = torch.nn.functional.normalize(torch.randn(batch, 8, generator=g), dim=1)
    prototypes = torch.nn.functional.normalize(torch.randn(prototypes, 8, generator=g), dim=1)
    return (features @ prototypes.t()).to(device, dtype)


@pytest.mark.parametrize("iterations", ITERATIONS, ids=[f"it{i}" for i in ITERATIONS])
@pytest.mark.parametrize("b, k", SHAPES, ids=SHAPE_IDS)
def test_sinkhorn_reference_equals_lightly(b, k, iterations):
    scores = _scores(b, k)
    torch.testing.assert_close(
        sinkhorn_knopp_reference(scores, iterations, 0.05), lightly_sinkhorn(scores, iterations, 0.05),
        rtol=1e-6, atol=0,
    )


@pytest.mark.parametrize("epsilon", [0.05, 0.1], ids=["eps0.05", "eps0.1"])
@pytest.mark.parametrize("iterations", ITERATIONS, ids=[f"it{i}" for i in ITERATIONS])
@pytest.mark.parametrize("b, k", SHAPES, ids=SHAPE_IDS)
def test_sinkhorn_fused_equals_reference(b, k, iterations, epsilon):
    scores = _scores(b, k)
    got = sinkhorn_knopp(scores, iterations, epsilon, fused=True)
    torch.testing.assert_close(got, sinkhorn_knopp_reference(scores, iterations, epsilon), rtol=1e-5, atol=0)


def test_sinkhorn_fused_reads_strided_scores_and_gives_no_gradient():
    scores = _scores(40, 19).t().contiguous().t().requires_grad_()  # column-major (B, K)
    got = sinkhorn_knopp(scores, fused=True)
    assert not got.requires_grad
    torch.testing.assert_close(got, lightly_sinkhorn(scores.detach()), rtol=1e-5, atol=0)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["fp16", "bf16"])
def test_sinkhorn_fused_half_precision(dtype):
    # The fused path computes in float32 and rounds the codes once; the eager one would
    # overflow exp(out / eps) in float16 for scores above 0.55, so the oracle runs in float32.
    scores = _scores(20, 40, dtype)
    got = sinkhorn_knopp(scores, fused=True)
    assert got.dtype == dtype
    # Rounding the codes once: half an ulp of float16 (codes below its subnormals flush to 0); one ulp of
    # bfloat16 (Triton's interpreter truncates float32 to bfloat16, the GPU rounds to nearest).
    rtol, atol = {torch.float16: (1e-3, 6e-8), torch.bfloat16: (8e-3, 0.0)}[dtype]
    torch.testing.assert_close(got.float(), sinkhorn_knopp_reference(scores.float()), rtol=rtol, atol=atol)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.cuda
@pytest.mark.parametrize("b, k", [(256, 3000), (4096, 3000), (1000, 65)], ids=["B256-K3000", "B4096-K3000", "B1000-K65"])
def test_sinkhorn_fused_on_gpu(b, k):
    scores = _scores(b, k, device="cuda")
    torch.testing.assert_close(sinkhorn_knopp(scores), lightly_sinkhorn(scores), rtol=1e-5, atol=0)
