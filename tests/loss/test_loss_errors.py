"""Bad arguments and bad inputs raise a ValueError that names the culprit."""

from __future__ import annotations

from typing import Callable

import lightly.loss as lightly_loss
import pytest
import torch

import fastssl.loss as fastssl_loss
from fastssl.loss import (
    BarlowTwinsLoss,
    DCLLoss,
    DCLWLoss,
    DINOLoss,
    KoLeoLoss,
    MMCRLoss,
    MSNLoss,
    NegativeCosineSimilarity,
    NTXentLoss,
    SwaVLoss,
    SymNegCosineSimilarityLoss,
    TiCoLoss,
    VICRegLoss,
)

CONSTRUCTOR_ERRORS = {
    "ntxent_zero_temperature": (
        lambda L: L.NTXentLoss(temperature=1e-9),
        "temperature",
    ),
    "ntxent_bank_without_dim": (lambda L: L.NTXentLoss(memory_bank_size=64), "size"),
    "ntxent_negative_bank": (lambda L: L.NTXentLoss(memory_bank_size=(-1, 4)), "size"),
    "msn_zero_temperature": (lambda L: L.MSNLoss(temperature=0.0), "temperature"),
    "msn_negative_iterations": (
        lambda L: L.MSNLoss(sinkhorn_iterations=-1),
        "sinkhorn_iterations",
    ),
    "pmsn_negative_temperature": (
        lambda L: L.PMSNLoss(temperature=-1.0),
        "temperature",
    ),
    "mmcr_negative_lmda": (lambda L: L.MMCRLoss(lmda=-0.1), "lmda"),
    "dino_center_mode": (lambda L: L.DINOLoss(center_mode="median"), "median"),
}


@pytest.mark.parametrize(
    "package", [fastssl_loss, lightly_loss], ids=["fastssl", "lightly"]
)
@pytest.mark.parametrize("name", sorted(CONSTRUCTOR_ERRORS))
def test_constructor_rejects_bad_arguments_like_lightly(
    name: str, package: object
) -> None:
    build, match = CONSTRUCTOR_ERRORS[name]
    with pytest.raises(ValueError, match=match):
        build(package)


def _x(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.ones(*shape, dtype=dtype).cumsum(0)


FORWARD_ERRORS = {
    "ntxent_shape_mismatch": (
        lambda: NTXentLoss()(_x(4, 8), _x(4, 9)),
        "out0 and out1 must have the same shape",
    ),
    "ntxent_integer_dtype": (
        lambda: NTXentLoss()(_x(4, 8, dtype=torch.int64), _x(4, 8)),
        "out0 must be a floating",
    ),
    "ntxent_1d": (
        lambda: NTXentLoss()(_x(8), _x(8)),
        r"out0 must have shape \(batch_size, dim\)",
    ),
    "ntxent_not_a_tensor": (
        lambda: NTXentLoss()([1.0], _x(4, 8)),
        "out0 must be a torch.Tensor",
    ),
    "ntxent_empty_batch": (
        lambda: NTXentLoss()(_x(0, 8), _x(0, 8)),
        "out0 must have a batch size",
    ),
    "ntxent_bank_dim": (
        lambda: NTXentLoss(memory_bank_size=(16, 8))(_x(4, 5), _x(4, 5)),
        "out0 and out1 must have dim 8",
    ),
    "dcl_single_sample": (
        lambda: DCLLoss()(_x(1, 8), _x(1, 8)),
        "out0 must have a batch size of at least 2",
    ),
    "dclw_shape_mismatch": (lambda: DCLWLoss()(_x(3, 8), _x(4, 8)), "out0 and out1"),
    "barlow_single_sample": (
        lambda: BarlowTwinsLoss()(_x(1, 8), _x(1, 8)),
        "z_a must have a batch size of at least 2",
    ),
    "barlow_shape_mismatch": (
        lambda: BarlowTwinsLoss()(_x(4, 8), _x(4, 7)),
        "z_a and z_b",
    ),
    "vicreg_single_sample": (
        lambda: VICRegLoss()(_x(1, 8), _x(1, 8)),
        "z_a must have shape",
    ),
    "vicreg_shape_mismatch": (lambda: VICRegLoss()(_x(4, 8), _x(5, 8)), "z_a and z_b"),
    "tico_single_sample": (
        lambda: TiCoLoss()(_x(1, 8), _x(1, 8)),
        "z_a must have a batch size",
    ),
    "koleo_single_sample": (
        lambda: KoLeoLoss()(_x(1, 8)),
        "x must have a batch size of at least 2",
    ),
    "mmcr_2d": (
        lambda: MMCRLoss()(_x(4, 8), _x(4, 8)),
        r"online must have shape \(batch_size, num_views, dim\)",
    ),
    "mmcr_shape_mismatch": (
        lambda: MMCRLoss()(_x(4, 2, 8), _x(4, 3, 8)),
        "online and momentum",
    ),
    "negative_cosine_broadcast": (
        lambda: NegativeCosineSimilarity()(_x(4, 8), _x(3, 8)),
        "x0 and x1 must have broadcastable",
    ),
    "negative_cosine_dtype": (
        lambda: NegativeCosineSimilarity()(_x(4, 8), _x(4, 8, dtype=torch.int32)),
        "x1 must be a floating",
    ),
    "sym_neg_not_a_pair": (
        lambda: SymNegCosineSimilarityLoss()(_x(3, 4, 8), (_x(4, 8), _x(4, 8))),
        "out0 must be a",
    ),
    "dino_single_view": (
        lambda: DINOLoss(8)([_x(4, 8)], [_x(4, 8)]),
        "at least two views",
    ),
    "dino_output_dim": (
        lambda: DINOLoss(8)([_x(4, 9)], [_x(4, 9)] * 2),
        "teacher_out must have output_dim 8",
    ),
    "dino_student_shape": (
        lambda: DINOLoss(8)([_x(4, 8)], [_x(3, 8)] * 2),
        "student_out must have the shape",
    ),
    "dino_tensor_not_list": (
        lambda: DINOLoss(8)(_x(2, 4, 8), [_x(4, 8)] * 2),
        "teacher_out must be a list",
    ),
    "dino_no_teacher": (
        lambda: DINOLoss(8)([], [_x(4, 8)] * 2),
        "teacher_out must hold at least 1",
    ),
    "dino_view_mismatch": (
        lambda: DINOLoss(8)([_x(4, 8)], [_x(4, 8), _x(5, 8)]),
        r"student_out\[0\] and student_out\[1\]",
    ),
    "swav_single_crop": (lambda: SwaVLoss()([_x(4, 8)], []), "at least two crops"),
    "swav_low_shape": (
        lambda: SwaVLoss()([_x(4, 8)], [_x(4, 9)]),
        "low_resolution_outputs must have the shape",
    ),
    "swav_short_queue": (
        lambda: SwaVLoss()([_x(4, 8)] * 2, [], [_x(6, 8)]),
        "queue_outputs must be a list with one tensor",
    ),
    "swav_queue_prototypes": (
        lambda: SwaVLoss()([_x(4, 8)] * 2, [], [_x(6, 8), _x(6, 7)]),
        r"queue_outputs\[1\] must have 8 prototypes",
    ),
    "msn_views": (
        lambda: MSNLoss()(_x(7, 8), _x(2, 8), _x(5, 8)),
        "anchors must hold a whole number",
    ),
    "msn_dim": (
        lambda: MSNLoss()(_x(4, 8), _x(2, 8), _x(5, 7)),
        "anchors, targets and prototypes",
    ),
}


@pytest.mark.parametrize("name", sorted(FORWARD_ERRORS))
def test_forward_rejects_bad_input(name: str) -> None:
    call, match = FORWARD_ERRORS[name]
    with pytest.raises(ValueError, match=match):
        call()


def test_tico_rejects_a_new_dim_after_the_first_call() -> None:
    loss_fn = TiCoLoss()
    loss_fn(_x(4, 8), _x(4, 8))
    with pytest.raises(ValueError, match="z_a must have dim 8 like the previous calls"):
        loss_fn(_x(4, 6), _x(4, 6))


@pytest.mark.parametrize(
    "build, call, state",
    [
        pytest.param(
            lambda: NTXentLoss(memory_bank_size=(16, 8)),
            lambda m: m(_x(4, 5).requires_grad_(), _x(4, 5)),
            lambda m: m.memory_bank.bank,
            id="ntxent_memory_bank",
        ),
        pytest.param(
            lambda: DINOLoss(8),
            lambda m: m([_x(4, 8)], [_x(4, 8)]),
            lambda m: m.center,
            id="dino_center",
        ),
    ],
)
def test_rejected_input_leaves_the_state_unchanged(
    build: Callable[[], torch.nn.Module],
    call: Callable[[torch.nn.Module], torch.Tensor],
    state: Callable[[torch.nn.Module], torch.Tensor],
) -> None:
    module = build()
    before = state(module).clone()
    with pytest.raises(ValueError):
        call(module)
    torch.testing.assert_close(state(module), before, rtol=0, atol=0)
