"""Drop-in surface: names, module paths, signatures, functional forms, state_dicts."""

from __future__ import annotations

import importlib
import inspect
import warnings
from typing import Callable, List

import lightly.loss as lightly_loss
import pytest
import torch
from lightly.loss import NegativeCosineSimilarity as LightlyNegativeCosineSimilarity

import fastssl.loss as fastssl_loss
from fastssl.models.modules.memory_bank import MemoryBankModule

# Lightly 1.6.0 names that fastssl.loss provides (SymNegCosineSimilarityLoss is
# from earlier Lightly releases and is tested separately).
LIGHTLY_NAMES = sorted(set(fastssl_loss.__all__) - {"SymNegCosineSimilarityLoss"})


def _parameters(function: Callable[..., object]) -> List[tuple]:
    return [
        (p.name, p.kind, p.default)
        for p in inspect.signature(function).parameters.values()
    ]


@pytest.mark.parametrize("name", LIGHTLY_NAMES)
def test_same_module_path_and_signatures_as_lightly(name: str) -> None:
    ours, theirs = getattr(fastssl_loss, name), getattr(lightly_loss, name)
    assert ours.__module__.replace("fastssl", "lightly") == theirs.__module__
    assert _parameters(ours.__init__) == _parameters(theirs.__init__)
    assert _parameters(ours.forward) == _parameters(theirs.forward)


FUNCTIONAL = {
    "swav_sinkhorn": (
        "swav_loss.sinkhorn",
        lambda g: [torch.tanh(torch.randn(9, 17, generator=g))],
        {"iterations": 4, "epsilon": 0.1},
    ),
    "msn_sinkhorn": (
        "msn_loss.sinkhorn",
        lambda g: [torch.softmax(torch.randn(9, 17, generator=g), dim=1)],
        {"iterations": 2},
    ),
    "msn_sinkhorn_disabled": (
        "msn_loss.sinkhorn",
        lambda g: [torch.softmax(torch.randn(9, 17, generator=g), dim=1)],
        {"iterations": 0},
    ),
    "msn_prototype_probabilities": (
        "msn_loss.prototype_probabilities",
        lambda g: [torch.randn(9, 17, generator=g), torch.randn(5, 17, generator=g)],
        {"temperature": 0.3},
    ),
    "msn_sharpen": (
        "msn_loss.sharpen",
        lambda g: [torch.softmax(torch.randn(9, 17, generator=g), dim=1)],
        {"temperature": 0.25},
    ),
    "dcl_negative_mises_fisher_weights": (
        "dcl_loss.negative_mises_fisher_weights",
        lambda g: [torch.randn(9, 17, generator=g), torch.randn(9, 17, generator=g)],
        {"sigma": 0.7},
    ),
    "vicreg_invariance_loss": (
        "vicreg_loss.invariance_loss",
        lambda g: [torch.randn(9, 17, generator=g), torch.randn(9, 17, generator=g)],
        {},
    ),
    "vicreg_variance_loss": (
        "vicreg_loss.variance_loss",
        lambda g: [torch.randn(9, 17, generator=g) * 0.5],
        {"eps": 1e-3},
    ),
    "vicreg_covariance_loss": (
        "vicreg_loss.covariance_loss",
        lambda g: [torch.randn(9, 17, generator=g)],
        {},
    ),
    "vicreg_covariance_loss_3d": (
        "vicreg_loss.covariance_loss",
        lambda g: [torch.randn(9, 4, 17, generator=g)],
        {},
    ),
}


def _function(package: str, path: str) -> Callable[..., torch.Tensor]:
    module, name = path.split(".")
    return getattr(importlib.import_module(f"{package}.loss.{module}"), name)


@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_functional_forms_match_lightly(name: str) -> None:
    path, inputs, kwargs = FUNCTIONAL[name]
    args = inputs(torch.Generator().manual_seed(7))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Lightly's torch.tensor(tensor) warning
        expected = _function("lightly", path)(*[a.clone() for a in args], **kwargs)
    actual = _function("fastssl", path)(*[a.clone() for a in args], **kwargs)
    torch.testing.assert_close(actual, expected, rtol=1e-6, atol=1e-7)
    assert actual.requires_grad == expected.requires_grad


def test_dino_state_dict_loads_both_ways() -> None:
    theirs = lightly_loss.DINOLoss(output_dim=16)
    theirs.center.normal_()
    ours = fastssl_loss.DINOLoss(output_dim=16)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    torch.testing.assert_close(ours.center, theirs.center, rtol=0, atol=0)
    lightly_loss.DINOLoss(output_dim=16).load_state_dict(ours.state_dict(), strict=True)


@pytest.mark.parametrize("name", LIGHTLY_NAMES)
def test_state_dict_keys_match_lightly(name: str) -> None:
    kwargs = {"target_distribution": lambda p: p} if name == "PMSNCustomLoss" else {}
    ours = getattr(fastssl_loss, name)(**kwargs)
    theirs = getattr(lightly_loss, name)(**kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_memory_bank_is_frozen_when_out0_needs_no_gradient() -> None:
    torch.manual_seed(3)
    loss_fn = fastssl_loss.NTXentLoss(memory_bank_size=(8, 4))
    before = loss_fn.memory_bank.bank.clone()
    loss_fn(torch.randn(3, 4), torch.randn(3, 4))
    torch.testing.assert_close(loss_fn.memory_bank.bank, before, rtol=0, atol=0)
    loss_fn(torch.randn(3, 4, requires_grad=True), torch.randn(3, 4))
    assert not torch.equal(loss_fn.memory_bank.bank, before)


def test_loss_memory_bank_path_is_the_models_memory_bank() -> None:
    from fastssl.loss.memory_bank import MemoryBankModule as Reexported

    assert Reexported is MemoryBankModule


def test_sym_neg_cosine_similarity_is_the_symmetrized_simsiam_loss() -> None:
    gen = torch.Generator().manual_seed(0)
    z0, p0, z1, p1 = (
        torch.randn(6, 10, generator=gen, requires_grad=True) for _ in range(4)
    )
    loss = fastssl_loss.SymNegCosineSimilarityLoss()((z0, p0), (z1, p1))
    criterion = LightlyNegativeCosineSimilarity(dim=-1)
    expected = criterion(p0, z1.detach()) / 2 + criterion(p1, z0.detach()) / 2
    torch.testing.assert_close(loss, expected, rtol=1e-6, atol=0)
    grads = torch.autograd.grad(2.5 * loss, (p0, p1, z0, z1), allow_unused=True)
    expected_grads = torch.autograd.grad(2.5 * expected, (p0, p1))
    torch.testing.assert_close(grads[:2], expected_grads, rtol=1e-6, atol=1e-8)
    assert grads[2] is None and grads[3] is None  # no gradient through the projections
