"""Heads: same constructor signatures, state_dict keys, initial weights and outputs as Lightly."""

from __future__ import annotations

import inspect
import warnings
from typing import Any, Callable, Dict

import pytest
import torch
import torch.nn as nn
from lightly.models.modules import heads as lightly_heads

import fastssl.models.modules
from fastssl.models.modules import heads

# Small dimensions keep every case fast; the defaults are checked by signature.
HEAD_KWARGS: Dict[str, Dict[str, Any]] = {
    "BarlowTwinsProjectionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "BYOLProjectionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "BYOLPredictionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "MoCoProjectionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "MoCoProjectionHead-v3": dict(
        input_dim=12, hidden_dim=16, output_dim=10, num_layers=3, batch_norm=True
    ),
    "NNCLRProjectionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "NNCLRPredictionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "SimCLRProjectionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "SimCLRProjectionHead-v2-nobn": dict(
        input_dim=12, hidden_dim=16, output_dim=10, num_layers=4, batch_norm=False
    ),
    "SimSiamProjectionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "SimSiamPredictionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "SMoGProjectionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "SMoGPredictionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "SwaVProjectionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "SwaVPrototypes": dict(input_dim=12, n_prototypes=7),
    "SwaVPrototypes-multi": dict(input_dim=12, n_prototypes=[7, 5]),
    "DINOProjectionHead": dict(input_dim=12, hidden_dim=16, bottleneck_dim=6, output_dim=20),
    "DINOProjectionHead-bn-free": dict(
        input_dim=12,
        hidden_dim=16,
        bottleneck_dim=6,
        output_dim=20,
        batch_norm=True,
        norm_last_layer=False,
    ),
    "DINOv2ProjectionHead": dict(input_dim=12, hidden_dim=16, bottleneck_dim=6, output_dim=20),
    "LeJEPAProjectionHead": dict(input_dim=12, hidden_dim=16, output_dim=10, num_layers=4),
    "LeWMProjectionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "LeWMProjectionHead-nobn": dict(input_dim=12, hidden_dim=16, output_dim=10, batch_norm=False),
    "MMCRProjectionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "MMCRProjectionHead-bias": dict(
        input_dim=12, hidden_dim=16, output_dim=10, num_layers=3, use_bias=True
    ),
    "MSNProjectionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "TiCoProjectionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "VICRegProjectionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "VICRegProjectionHead-2": dict(input_dim=12, hidden_dim=16, output_dim=10, num_layers=2),
    "VicRegLLocalProjectionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "DenseCLProjectionHead": dict(input_dim=12, hidden_dim=16, output_dim=10),
    "CAPIProjectionHead": dict(input_dim=12, num_clusters=20),
    "CAPIProjectionHead-wn-bias": dict(input_dim=12, num_clusters=20, bias=True, weight_norm=True),
}

CLASS_NAMES = sorted(
    {case.split("-")[0] for case in HEAD_KWARGS} | {"ProjectionHead", "SMoGPrototypes"}
)


def _build(module: Any, case: str, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # Lightly's torch weight_norm
        return getattr(module, case.split("-")[0])(**HEAD_KWARGS[case])


def _input(case: str) -> torch.Tensor:
    generator = torch.Generator().manual_seed(1)
    shape = (2, 3, 12) if case.startswith("CAPI") else (6, 12)
    return torch.randn(shape, generator=generator)


def _outputs(head: nn.Module, x: torch.Tensor) -> list:
    out = head(x)
    return list(out) if isinstance(out, list) else [out]


def _assert_same_state(ours: nn.Module, theirs: nn.Module) -> None:
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    for key in ours_state:
        assert torch.equal(ours_state[key], theirs_state[key]), key


def test_every_lightly_head_is_exported() -> None:
    lightly_names = {
        name
        for name, obj in vars(lightly_heads).items()
        if isinstance(obj, type) and obj.__module__ == lightly_heads.__name__
    }
    assert lightly_names == set(CLASS_NAMES)
    for name in lightly_names:
        assert getattr(fastssl.models.modules, name) is getattr(heads, name)


@pytest.mark.parametrize("name", CLASS_NAMES)
def test_constructor_signature_matches_lightly(name: str) -> None:
    ours = inspect.signature(getattr(heads, name).__init__).parameters
    theirs = inspect.signature(getattr(lightly_heads, name).__init__).parameters
    assert [(p.name, p.default) for p in ours.values()] == [
        (p.name, p.default) for p in theirs.values()
    ]


@pytest.mark.parametrize("case", list(HEAD_KWARGS))
def test_same_seed_gives_same_weights_and_parameter_order(case: str) -> None:
    ours, theirs = _build(heads, case), _build(lightly_heads, case)
    _assert_same_state(ours, theirs)
    assert [(n, p.requires_grad) for n, p in ours.named_parameters()] == [
        (n, p.requires_grad) for n, p in theirs.named_parameters()
    ]


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("case", list(HEAD_KWARGS))
def test_lightly_checkpoint_loads_and_gives_same_outputs(case: str, train: bool) -> None:
    theirs = _build(lightly_heads, case, seed=3)
    ours = _build(heads, case, seed=4)  # different init: the load must overwrite all
    ours.load_state_dict(theirs.state_dict(), strict=True)
    ours.train(train)
    theirs.train(train)
    x = _input(case)
    x_ours, x_theirs = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_ours, out_theirs = _outputs(ours, x_ours), _outputs(theirs, x_theirs)
    assert len(out_ours) == len(out_theirs)
    for a, b in zip(out_ours, out_theirs):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=0)
    grad_out = [torch.randn_like(o) for o in out_ours]
    torch.autograd.backward(out_ours, grad_out)
    torch.autograd.backward(out_theirs, grad_out)
    torch.testing.assert_close(x_ours.grad, x_theirs.grad, rtol=1e-6, atol=0)
    # BatchNorm running statistics moved alike.
    _assert_same_state(ours, theirs)


@pytest.mark.parametrize("case", list(HEAD_KWARGS))
def test_our_checkpoint_loads_into_lightly(case: str) -> None:
    ours = _build(heads, case, seed=5)
    theirs = _build(lightly_heads, case, seed=6)
    theirs.load_state_dict(ours.state_dict(), strict=True)
    ours.eval()
    theirs.eval()
    x = _input(case)
    out_ours, out_theirs = _outputs(ours, x), _outputs(theirs, x)
    assert len(out_ours) == len(out_theirs)
    for a, b in zip(out_ours, out_theirs):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=0)


def test_projection_head_blocks_match_lightly() -> None:
    blocks = lambda: [  # noqa: E731 - fresh modules for each head
        (8, 6, nn.BatchNorm1d(6), nn.ReLU()),
        (6, 6, nn.BatchNorm1d(6), nn.GELU(), True),
        (6, 4, None, None, False),
    ]
    torch.manual_seed(0)
    ours = heads.ProjectionHead(blocks())
    torch.manual_seed(0)
    theirs = lightly_heads.ProjectionHead(blocks())
    _assert_same_state(ours, theirs)
    assert ours.layers[-1].bias is None and ours.layers[3].bias is not None


@pytest.mark.parametrize(
    "factory, match",
    [
        (lambda: heads.ProjectionHead([(8, 6, None)]), "block 0"),
        (
            lambda: heads.ProjectionHead([(0, 6, None, None)]),
            "in_features must be a positive integer, got 0",
        ),
        (
            lambda: heads.SimCLRProjectionHead(input_dim=-3),
            "input_dim must be a positive integer, got -3",
        ),
        (lambda: heads.MoCoProjectionHead(num_layers=1), "num_layers must be >= 2, got 1"),
        (
            lambda: heads.VICRegProjectionHead(hidden_dim=2.5),
            "hidden_dim must be a positive integer, got 2.5",
        ),
        (
            lambda: heads.DINOProjectionHead(output_dim=0),
            "output_dim must be a positive integer, got 0",
        ),
        (lambda: heads.SwaVPrototypes(8, [4, 0]), "n_prototypes must be a positive integer, got 0"),
        (
            lambda: heads.LeJEPAProjectionHead(8, num_layers=1),
            "num_layers must be greater than or equal to 2",
        ),
        (
            lambda: heads.MMCRProjectionHead(num_layers=0),
            "num_layers must be a positive integer, got 0",
        ),
        (
            lambda: heads.CAPIProjectionHead(num_clusters=0),
            "num_clusters must be a positive integer, got 0",
        ),
    ],
    ids=[
        "short-block",
        "zero-dim-block",
        "negative-input",
        "moco-one-layer",
        "float-hidden",
        "dino-zero-output",
        "swav-zero-prototypes",
        "lejepa-one-layer",
        "mmcr-zero-layers",
        "capi-zero-clusters",
    ],
)
def test_bad_arguments_raise_value_error_naming_the_value(
    factory: Callable[[], Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        factory()


def test_dino_head_has_no_deprecation_warning_and_weight_norm_keys() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        head = heads.DINOProjectionHead(12, 16, 6, 20)
    state = head.state_dict()
    assert state["last_layer.weight_g"].shape == (20, 1)
    assert state["last_layer.weight_v"].shape == (20, 6)
    assert "last_layer.weight" not in state
    assert torch.equal(state["last_layer.weight_g"], torch.ones(20, 1))
    assert not head.last_layer.weight_g.requires_grad


@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
def test_weight_norm_linear_equals_torch_weight_norm(bias: bool) -> None:
    torch.manual_seed(0)
    ours = heads.WeightNormLinear(5, 7, bias=bias)
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        theirs = nn.utils.weight_norm(nn.Linear(5, 7, bias=bias))
    _assert_same_state(ours, theirs)
    with torch.no_grad():
        ours.weight_g.mul_(torch.rand(7, 1) + 0.5)
    theirs.load_state_dict(ours.state_dict(), strict=True)
    x = torch.randn(4, 5)
    out_ours, out_theirs = ours(x), theirs(x)
    assert torch.equal(out_ours, out_theirs)
    assert torch.equal(ours.weight, theirs.weight)
    grad = torch.randn(4, 7)
    out_ours.backward(grad)
    out_theirs.backward(grad)
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-6, atol=0, msg=name)


@pytest.mark.parametrize("current_epoch, cancelled", [(0, True), (1, False), (5, False)])
def test_dino_cancel_last_layer_gradients(current_epoch: int, cancelled: bool) -> None:
    head = heads.DINOProjectionHead(12, 16, 6, 20, freeze_last_layer=1, norm_last_layer=False)
    head(torch.randn(4, 12)).sum().backward()
    head.cancel_last_layer_gradients(current_epoch)
    grads = [p.grad for p in head.last_layer.parameters()]
    assert len(grads) == 2
    assert all((g is None) == cancelled for g in grads)
    assert head.layers[0].weight.grad is not None


def test_swav_prototypes_frozen_steps_and_normalize() -> None:
    ours, theirs = _build(heads, "SwaVPrototypes"), _build(lightly_heads, "SwaVPrototypes")
    ours.n_steps_frozen_prototypes = theirs.n_steps_frozen_prototypes = 3
    x = torch.randn(4, 12)
    with pytest.raises(ValueError, match="provide the `step` argument"):
        ours(x)
    ours(x, step=1)
    assert not any(p.requires_grad for p in ours.parameters())
    ours(x, step=3)
    assert all(p.requires_grad for p in ours.parameters())
    ours.normalize()
    theirs.normalize()
    _assert_same_state(ours, theirs)
    torch.testing.assert_close(ours.heads[0].weight.norm(dim=1), torch.ones(7))


def test_smog_prototypes_match_lightly() -> None:
    group_features = torch.randn(5, 12)
    ours = heads.SMoGPrototypes(group_features.clone(), beta=0.9)
    theirs = lightly_heads.SMoGPrototypes(group_features.clone(), beta=0.9)
    x = torch.randn(16, 12)
    assert torch.equal(ours(x, ours.group_features, 0.2), theirs(x, theirs.group_features, 0.2))
    assert torch.equal(ours.assign_groups(x), theirs.assign_groups(x))
    updated = ours.get_updated_group_features(x)
    assert torch.equal(updated, theirs.get_updated_group_features(x))
    ours.set_group_features(updated)
    assert torch.equal(ours.group_features, updated)
    assert not ours.group_features.requires_grad
