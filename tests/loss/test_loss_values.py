"""fastssl.loss values and gradients equal lightly.loss, on odd shapes and dtypes.

Each case builds the fastssl and the Lightly loss with the same arguments,
feeds both the same leaf tensors for several steps where they carry state (memory
bank, TiCo covariance, DINO center) and compares the loss, the gradients for a
random ``grad_output`` and the state after every step.

Tolerances (rtol on values; gradients: atol relative to the largest entry):
float32 1e-5; bfloat16 3e-2; float16 1e-2. In low precision the reference is
Lightly in the same dtype, or Lightly in float32 on the same rounded inputs
where Lightly itself cannot run that dtype on CPU (memory bank NT-Xent, DINO,
MMCR) or returns nan gradients (MSN and PMSN in float16). On a CUDA machine the
float32 cases also run on the GPU.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

import lightly.loss as lightly_loss
import pytest
import torch
from torch import Tensor, nn

import fastssl.loss as fastssl_loss
from fastssl.loss import _contrastive

TOLERANCES = {torch.float32: 1e-5, torch.bfloat16: 3e-2, torch.float16: 1e-2}
SHAPES = [(1, 3), (2, 5), (7, 33), (33, 257)]  # (batch, dim)
STATEFUL_STEPS = 3


@dataclass(frozen=True)
class Case:
    """One loss configuration: how to build the module and its inputs.

    ``build(package, dim)`` is called with ``fastssl.loss`` and ``lightly.loss``.
    """

    name: str
    build: Callable[[object, int], nn.Module]
    inputs: Callable[[int, int, torch.Generator], List[Tensor]]
    call: Callable[[nn.Module, List[Tensor]], Tensor] = lambda m, x: m(*x)
    min_batch: int = 1
    # Low precision dtypes that Lightly itself runs on CPU.
    lightly_dtypes: Tuple[torch.dtype, ...] = (torch.bfloat16, torch.float16)
    # Low precision dtypes tested here.
    dtypes: Tuple[torch.dtype, ...] = (torch.bfloat16, torch.float16)
    # State carried between calls (memory bank, covariance, center), if any.
    state: Callable[[nn.Module], Optional[Tensor]] = lambda m: None
    steps: int = 1


def _randn(gen: torch.Generator, *shape: int) -> Tensor:
    return torch.randn(*shape, generator=gen)


def _pair(batch: int, dim: int, gen: torch.Generator) -> List[Tensor]:
    return [_randn(gen, batch, dim), _randn(gen, batch, dim)]


def _views(n_views: int) -> Callable[[int, int, torch.Generator], List[Tensor]]:
    return lambda batch, dim, gen: [_randn(gen, batch, dim) for _ in range(n_views)]


def _scores(n_views: int) -> Callable[[int, int, torch.Generator], List[Tensor]]:
    # SwaV inputs are prototype similarities in [-1, 1].
    return lambda batch, dim, gen: [
        torch.tanh(_randn(gen, batch, dim)) for _ in range(n_views)
    ]


def _triples(batch: int, dim: int, gen: torch.Generator) -> List[Tensor]:
    return [_randn(gen, batch, 3, dim), _randn(gen, batch, 3, dim)]


def _msn_inputs(batch: int, dim: int, gen: torch.Generator) -> List[Tensor]:
    # 3 anchor views per target, 11 prototypes.
    return [_randn(gen, 3 * batch, dim), _randn(gen, batch, dim), _randn(gen, 11, dim)]


def _bank_ntxent(package: object, dim: int) -> nn.Module:
    # The bank starts random: both get the same start. With 20 entries, batches
    # of 7 wrap around the end at different positions and 33 overflow it.
    torch.manual_seed(1234)
    return package.NTXentLoss(temperature=0.2, memory_bank_size=(20, dim))


def _weight_fn(out0: Tensor, out1: Tensor) -> Tensor:
    return torch.sum((out0 - out1) ** 2, dim=1)


def _uniform(mean_anchor_probs: Tensor) -> Tensor:
    dim = mean_anchor_probs.shape[0]
    return mean_anchor_probs.new_ones(dim) / dim


def _swav(n_high: int, queue: bool) -> Callable[[nn.Module, List[Tensor]], Tensor]:
    def call(module: nn.Module, x: List[Tensor]) -> Tensor:
        high, low = x[:n_high], x[n_high:]
        queue_outputs = [v.detach()[:4].flip(0) * 0.8 for v in high] if queue else None
        return module(high, low, queue_outputs)

    return call


def _dino(
    n_teacher: int, **kwargs: object
) -> Callable[[nn.Module, List[Tensor]], Tensor]:
    def call(module: nn.Module, x: List[Tensor]) -> Tensor:
        return module([v.detach() for v in x[:n_teacher]], x[n_teacher:], **kwargs)

    return call


# float16 is left out of SwaV: exp(x / 0.05) overflows in Lightly's Sinkhorn too.
# Lightly's MSN gradients are nan in float16 (log(p ** -t) underflows), ours are
# not: the float16 reference there is Lightly in float32.
ONLY_BF16 = (torch.bfloat16,)

CASES = [
    Case("ntxent", lambda L, d: L.NTXentLoss(), _pair),
    Case("ntxent_t0.1", lambda L, d: L.NTXentLoss(temperature=0.1), _pair),
    Case("ntxent_negative_t", lambda L, d: L.NTXentLoss(temperature=-0.3), _pair),
    Case(
        "ntxent_memory_bank",
        _bank_ntxent,
        _pair,
        lightly_dtypes=(),
        state=lambda m: m.memory_bank.bank,
        steps=STATEFUL_STEPS,
    ),
    Case(
        "negative_cosine_similarity", lambda L, d: L.NegativeCosineSimilarity(), _pair
    ),
    Case("barlow_twins", lambda L, d: L.BarlowTwinsLoss(), _pair, min_batch=2),
    Case(
        "barlow_twins_lambda",
        lambda L, d: L.BarlowTwinsLoss(lambda_param=0.1),
        _pair,
        min_batch=2,
    ),
    Case("vicreg", lambda L, d: L.VICRegLoss(), _pair, min_batch=2),
    Case("vicreg_3d", lambda L, d: L.VICRegLoss(nu_param=3.0), _triples, min_batch=2),
    Case("dcl", lambda L, d: L.DCLLoss(), _pair, min_batch=2),
    Case(
        "dcl_weight_fn",
        lambda L, d: L.DCLLoss(temperature=0.5, weight_fn=_weight_fn),
        _pair,
        min_batch=2,
    ),
    Case("dclw", lambda L, d: L.DCLWLoss(), _pair, min_batch=2),
    Case(
        "tico",
        lambda L, d: L.TiCoLoss(),
        _pair,
        min_batch=2,
        state=lambda m: m.C,
        steps=STATEFUL_STEPS,
    ),
    Case("koleo", lambda L, d: L.KoLeoLoss(), _views(1), min_batch=2),
    Case("msn", lambda L, d: L.MSNLoss(), _msn_inputs, lightly_dtypes=ONLY_BF16),
    Case(
        "msn_plain",
        lambda L, d: L.MSNLoss(sinkhorn_iterations=0, regularization_weight=0),
        _msn_inputs,
        lightly_dtypes=ONLY_BF16,
    ),
    Case("pmsn", lambda L, d: L.PMSNLoss(), _msn_inputs, lightly_dtypes=ONLY_BF16),
    Case(
        "pmsn_custom",
        lambda L, d: L.PMSNCustomLoss(target_distribution=_uniform),
        _msn_inputs,
        lightly_dtypes=ONLY_BF16,
    ),
    Case("mmcr", lambda L, d: L.MMCRLoss(), _triples, lightly_dtypes=()),
    Case(
        "swav_2high_3low",
        lambda L, d: L.SwaVLoss(),
        _scores(5),
        call=_swav(2, queue=False),
        dtypes=ONLY_BF16,
    ),
    Case(
        "swav_3high_queue",
        lambda L, d: L.SwaVLoss(sinkhorn_iterations=5),
        _scores(4),
        call=_swav(3, queue=True),
        dtypes=ONLY_BF16,
    ),
    Case(
        "swav_1high_1low",
        lambda L, d: L.SwaVLoss(temperature=0.2),
        _scores(2),
        call=_swav(1, queue=False),
        dtypes=ONLY_BF16,
    ),
    Case(
        "dino_2teacher_4student",
        lambda L, d: L.DINOLoss(output_dim=d),
        _views(6),
        call=_dino(2),
        lightly_dtypes=(),
        state=lambda m: m.center,
        steps=STATEFUL_STEPS,
    ),
    Case(
        "dino_warmup_epoch",
        lambda L, d: L.DINOLoss(output_dim=d, center_momentum=0.5),
        _views(3),
        call=_dino(1, epoch=2),
        lightly_dtypes=(),
        state=lambda m: m.center,
        steps=STATEFUL_STEPS,
    ),
    Case(
        "dino_teacher_temp",
        lambda L, d: L.DINOLoss(output_dim=d),
        _views(4),
        call=_dino(2, teacher_temp=0.07),
        lightly_dtypes=(),
        state=lambda m: m.center,
        steps=STATEFUL_STEPS,
    ),
]


def _assert_close(actual: Tensor, expected: Tensor, tol: float, what: str) -> None:
    """rtol ``tol``; atol ``tol`` times the largest expected entry (at least 1e-3)."""
    expected = expected.detach().double()
    scale = max(expected.abs().max().item(), 1e-3) if expected.numel() else 1.0
    torch.testing.assert_close(
        actual.detach().double(),
        expected,
        rtol=tol,
        atol=tol * scale,
        msg=lambda m: f"{what}: {m}",
    )


def _run(
    case: Case, batch: int, dim: int, dtype: torch.dtype, device: str = "cpu"
) -> None:
    """Runs ``case.steps`` steps of both losses and compares values, gradients and state."""
    reference_dtype = (
        dtype if dtype in (torch.float32, *case.lightly_dtypes) else torch.float32
    )
    ours = case.build(fastssl_loss, dim).to(device)
    theirs = case.build(lightly_loss, dim).to(device)
    gen = torch.Generator().manual_seed(batch * 1000 + dim)
    tol = TOLERANCES[dtype]
    for step in range(case.steps):
        data = [x.to(device, dtype) for x in case.inputs(batch, dim, gen)]
        grad_scale = 0.5 + torch.rand((), generator=gen).item()
        mine = [x.clone().requires_grad_() for x in data]
        ref = [x.to(reference_dtype).requires_grad_() for x in data]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Lightly's torch.tensor(tensor) warnings
            expected = case.call(theirs, ref)
        actual = case.call(ours, mine)
        assert actual.shape == expected.shape
        assert actual.dtype == expected.dtype or reference_dtype != dtype
        _assert_close(actual, expected, tol, f"step {step} loss")
        grads = [
            torch.autograd.grad(
                loss * grad_scale, leaves, allow_unused=True, materialize_grads=True
            )
            for loss, leaves in ((actual.sum(), mine), (expected.sum(), ref))
        ]
        for index, (g_ours, g_ref) in enumerate(zip(*grads)):
            _assert_close(g_ours, g_ref, tol, f"step {step} grad of input {index}")
        state_ours, state_ref = case.state(ours), case.state(theirs)
        if state_ref is not None:
            _assert_close(state_ours, state_ref, tol, f"step {step} state")


def _shape_id(shape: Tuple[int, int]) -> str:
    return f"n{shape[0]}_d{shape[1]}"


@pytest.mark.parametrize("shape", SHAPES, ids=_shape_id)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_float32_matches_lightly(case: Case, shape: Tuple[int, int]) -> None:
    batch, dim = shape
    _run(case, max(batch, case.min_batch), dim, torch.float32)


LOW_PRECISION = [
    pytest.param(case, dtype, id=f"{case.name}-{str(dtype)[6:]}")
    for case in CASES
    for dtype in case.dtypes
]


@pytest.mark.parametrize("case, dtype", LOW_PRECISION)
def test_low_precision_matches_lightly(case: Case, dtype: torch.dtype) -> None:
    _run(case, 7, 33, dtype)


CHUNKED = [c for c in CASES if c.name.startswith(("ntxent", "dcl"))]


@pytest.mark.parametrize("case", CHUNKED, ids=lambda c: c.name)
def test_chunked_logsumexp_matches_lightly(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 14 rows against 14 views (or 20 bank entries): chunks of 4 (or 3) rows,
    # one of them across the boundary between the two views.
    monkeypatch.setattr(_contrastive, "CHUNK_ELEMENTS", 60)
    _run(case, 7, 33, torch.float32)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_cuda_float32_matches_lightly(case: Case) -> None:
    _run(case, 33, 257, torch.float32, device="cuda")
