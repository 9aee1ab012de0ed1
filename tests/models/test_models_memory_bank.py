"""Memory banks: same bank contents and outputs as Lightly over several steps."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from lightly.models.modules.memory_bank import MemoryBankModule as LightlyMemoryBank
from lightly.models.modules.nn_memory_bank import NNMemoryBankModule as LightlyNNMemoryBank

from fastssl.models.modules import MemoryBankModule, NNMemoryBankModule


@pytest.mark.parametrize("feature_dim_first", [True, False], ids=["dim-first", "dim-last"])
@pytest.mark.parametrize(
    "bank_size, batch_size", [(16, 4), (10, 3), (5, 8)], ids=["even", "wrap", "batch>bank"]
)
def test_memory_bank_matches_lightly_over_steps(
    bank_size: int, batch_size: int, feature_dim_first: bool
) -> None:
    torch.manual_seed(0)
    ours = MemoryBankModule((bank_size, 6), feature_dim_first=feature_dim_first)
    torch.manual_seed(0)
    theirs = LightlyMemoryBank((bank_size, 6), feature_dim_first=feature_dim_first)
    assert torch.equal(ours.bank, theirs.bank)
    for step in range(7):
        output = torch.randn(batch_size, 6)
        update = step != 3  # one query-only step
        out_ours, bank_ours = ours(output, update=update)
        out_theirs, bank_theirs = theirs(output, update=update)
        assert out_ours is output and out_theirs is output
        assert torch.equal(bank_ours, bank_theirs)
        assert torch.equal(ours.bank, theirs.bank)
        assert torch.equal(ours.bank_ptr, theirs.bank_ptr)
    expected_shape = (6, bank_size) if feature_dim_first else (bank_size, 6)
    assert bank_ours.shape == expected_shape


def test_returned_bank_is_a_detached_copy_taken_before_the_update() -> None:
    bank = MemoryBankModule((4, 3))
    before = bank.bank.clone()
    _, returned = bank(torch.ones(2, 3, requires_grad=True), update=True)
    assert torch.equal(returned, before.t())
    assert torch.equal(bank.bank[:2], torch.ones(2, 3))
    assert not bank.bank.requires_grad
    assert bank.state_dict() == {}  # non-persistent, like Lightly


def test_disabled_memory_bank_returns_none() -> None:
    output = torch.randn(3, 4)
    assert MemoryBankModule(0)(output, update=True) == (output, None)
    out, bank = MemoryBankModule((0, 4))(output)
    assert bank is None


@pytest.mark.parametrize(
    "size",
    [-1, 128, (4, -2), (4,), (4, 5, 6)],
    ids=["negative-int", "int-without-dim", "negative-entry", "one-entry", "three-entries"],
)
def test_bad_sizes_raise_like_lightly(size: Any) -> None:
    with pytest.raises(ValueError) as theirs:
        LightlyMemoryBank(size)
    with pytest.raises(ValueError) as ours:
        MemoryBankModule(size)
    assert str(ours.value) == str(theirs.value)
    assert str(size) in str(ours.value)


def test_update_with_wrong_feature_dim_raises() -> None:
    with pytest.raises(
        ValueError, match=r"expects embeddings of shape \(batch_size, 6\), got \(2, 5\)"
    ):
        MemoryBankModule((8, 6))(torch.randn(2, 5), update=True)


def test_nn_memory_bank_matches_lightly() -> None:
    torch.manual_seed(1)
    ours = NNMemoryBankModule((12, 5))
    torch.manual_seed(1)
    theirs = LightlyNNMemoryBank((12, 5))
    for step in range(5):
        output = torch.randn(4, 5)
        nn_ours = ours(output, update=step % 2 == 0)
        nn_theirs = theirs(output, update=step % 2 == 0)
        assert torch.equal(nn_ours, nn_theirs)
        assert torch.equal(ours.bank, theirs.bank)
    # A bank entry is its own nearest neighbour.
    assert torch.equal(ours(ours.bank[:3].clone()), ours.bank[:3])


def test_nn_memory_bank_needs_a_bank() -> None:
    with pytest.raises(ValueError, match="size=0"):
        NNMemoryBankModule(0)(torch.randn(2, 3))
