"""fastssl.models.utils against lightly.models.utils."""

from __future__ import annotations

import copy
from typing import Any, Callable, Dict, Tuple

import pytest
import torch
import torch.nn as nn
from lightly.models import utils as lightly_utils

from fastssl.models import utils


def _model(shapes: Tuple[Tuple[int, ...], ...]) -> nn.Module:
    model = nn.Module()
    for index, shape in enumerate(shapes):
        model.register_parameter(f"p{index}", nn.Parameter(torch.randn(shape)))
    return model


PARAM_SHAPES = {
    "scalar": ((),),
    "vector": ((7,),),
    "mixed": ((3, 5), (5,), (2, 3, 3, 3), (1,), ()),
    "many": tuple((i + 1, 3) for i in range(40)),
}


@pytest.mark.parametrize("m", [0.0, 0.5, 0.996, 1.0])
@pytest.mark.parametrize("shapes", list(PARAM_SHAPES.values()), ids=list(PARAM_SHAPES))
def test_update_momentum_equals_lightly_and_the_loop(
    shapes: Tuple[Tuple[int, ...], ...], m: float
) -> None:
    torch.manual_seed(0)
    model, ema = _model(shapes), _model(shapes)
    ema_lightly, ema_loop = copy.deepcopy(ema), copy.deepcopy(ema)
    for _ in range(3):
        utils.update_momentum(model, ema, m)
        lightly_utils.update_momentum(model, ema_lightly, m)
        with torch.no_grad():
            for p, e in zip(model.parameters(), ema_loop.parameters()):
                e.mul_(m).add_(p, alpha=1.0 - m)
    for ours, theirs, loop in zip(
        ema.parameters(), ema_lightly.parameters(), ema_loop.parameters()
    ):
        assert torch.equal(ours, theirs)
        assert torch.equal(ours, loop)


def test_update_momentum_on_a_real_network_keeps_buffers() -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
    ema = copy.deepcopy(model)
    model(torch.randn(16, 4))  # moves model's running stats only
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    utils.update_momentum(model, ema, 0.9)
    torch.testing.assert_close(ema[0].bias, model[0].bias - 0.9)
    assert torch.equal(ema[1].running_mean, torch.zeros(8))


def test_update_momentum_rejects_mismatched_models() -> None:
    with pytest.raises(ValueError, match="model has 2 parameters but model_ema has 4"):
        utils.update_momentum(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)), 0.9)
    with pytest.raises(ValueError, match=r"parameter 0 has shape \(2, 2\) in model but \(3, 2\)"):
        utils.update_momentum(nn.Linear(2, 2), nn.Linear(2, 3), 0.9)
    utils.update_momentum(nn.ReLU(), nn.ReLU(), 0.9)  # no parameters: nothing to do


@pytest.mark.parametrize(
    "shape", [(1,), (10,), (9, 4), (5, 3, 2, 2)], ids=["1", "10", "9x4", "5x3x2x2"]
)
def test_batch_shuffle_matches_lightly_and_round_trips(shape: Tuple[int, ...]) -> None:
    batch = torch.randn(shape)
    torch.manual_seed(7)
    shuffled, shuffle = utils.batch_shuffle(batch)
    torch.manual_seed(7)
    shuffled_lightly, shuffle_lightly = lightly_utils.batch_shuffle(batch)
    assert torch.equal(shuffle, shuffle_lightly)
    assert torch.equal(shuffled, shuffled_lightly)
    assert torch.equal(utils.batch_unshuffle(shuffled, shuffle), batch)
    assert torch.equal(
        utils.batch_unshuffle(shuffled * 2, shuffle),
        lightly_utils.batch_unshuffle(shuffled * 2, shuffle),
    )


def test_batch_unshuffle_rejects_wrong_index() -> None:
    with pytest.raises(ValueError, match=r"shuffle must have shape \(4,\).*got \(3,\)"):
        utils.batch_unshuffle(torch.randn(4, 2), torch.arange(3))
    with pytest.raises(ValueError, match="0-dim"):
        utils.batch_shuffle(torch.tensor(1.0))


def test_requires_grad_toggles() -> None:
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    utils.deactivate_requires_grad(model)
    assert not any(p.requires_grad for p in model.parameters())
    utils.activate_requires_grad(model)
    assert all(p.requires_grad for p in model.parameters())


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.ln = nn.LayerNorm(4)
        self.gn = nn.GroupNorm(2, 4)
        self.fc = nn.Linear(4, 2)
        self.token = nn.Parameter(torch.zeros(1, 1, 4))


@pytest.mark.parametrize("decay_norm", [False, True], ids=["keep-norm", "decay-norm"])
@pytest.mark.parametrize("decay_bias", [False, True], ids=["keep-bias", "decay-bias"])
def test_get_weight_decay_parameters_matches_lightly(decay_norm: bool, decay_bias: bool) -> None:
    modules = [_Net(), nn.Linear(2, 2)]
    ours = utils.get_weight_decay_parameters(modules, decay_norm=decay_norm, decay_bias=decay_bias)
    theirs = lightly_utils.get_weight_decay_parameters(
        modules, decay_norm=decay_norm, decay_bias=decay_bias
    )
    for ours_group, theirs_group in zip(ours, theirs):
        assert [id(p) for p in ours_group] == [id(p) for p in theirs_group]


def test_no_grad_trunc_normal_matches_lightly() -> None:
    ours, theirs = torch.empty(50, 20), torch.empty(50, 20)
    torch.manual_seed(0)
    utils._no_grad_trunc_normal(ours, mean=0.1, std=0.5, a=-0.5, b=0.8)
    torch.manual_seed(0)
    lightly_utils._no_grad_trunc_normal(theirs, mean=0.1, std=0.5, a=-0.5, b=0.8)
    assert torch.equal(ours, theirs)
    assert ours.min() >= -0.5 and ours.max() <= 0.8


def _g(seed: int, *shape: int) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def _index(seed: int, high: int, *shape: int) -> torch.Tensor:
    return torch.randint(high, shape, generator=torch.Generator().manual_seed(seed))


# name -> (args factory, kwargs); each function must return the same as Lightly's.
SAME_AS_LIGHTLY: Dict[str, Tuple[Callable[[], tuple], Dict[str, Any]]] = {
    "normalize_mean_var": (lambda: (_g(0, 4, 6),), {}),
    "most_similar_index": (lambda: (_g(0, 2, 5, 3), _g(1, 2, 5, 3)), {}),
    "select_most_similar": (lambda: (_g(0, 2, 5, 3), _g(1, 2, 5, 3), _g(2, 2, 5, 4)), {}),
    "nearest_neighbors": (lambda: (_g(0, 2, 5, 3), _g(1, 2, 6, 3), _g(2, 2, 5, 6).abs(), 3), {}),
    "nearest_neighbors-all": (
        lambda: (_g(0, 2, 5, 3), _g(1, 2, 6, 3), _g(2, 2, 5, 6).abs(), -1),
        {},
    ),
    "repeat_token": (lambda: (_g(0, 1, 1, 4), (3, 5)), {}),
    "expand_index_like": (lambda: (_index(0, 6, 2, 3), _g(1, 2, 6, 4)), {}),
    "get_at_index": (lambda: (_g(1, 2, 6, 4), _index(0, 6, 2, 3)), {}),
    "set_at_index": (lambda: (_g(1, 2, 6, 4), _index(0, 6, 2, 3), _g(2, 2, 3, 4)), {}),
    "mask_at_index": (lambda: (_g(1, 2, 6, 4), _index(0, 6, 2, 3), _g(2, 1, 1, 4)), {}),
    "mask_bool": (lambda: (_g(1, 2, 6, 4), _g(0, 2, 6) > 0, _g(2, 1, 1, 4)), {}),
    "prepend_class_token": (lambda: (_g(1, 2, 6, 4), _g(2, 1, 1, 4)), {}),
    "patchify": (lambda: (_g(0, 2, 3, 8, 8), 4), {}),
    "unpatchify": (lambda: (_g(0, 2, 4, 48), 4), {"channels": 3}),
}


@pytest.mark.parametrize("case", list(SAME_AS_LIGHTLY))
def test_helpers_equal_lightly(case: str) -> None:
    name = case.split("-")[0]
    make_args, kwargs = SAME_AS_LIGHTLY[case]
    ours = getattr(utils, name)(*make_args(), **kwargs)
    theirs = getattr(lightly_utils, name)(*make_args(), **kwargs)
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert torch.equal(a, b)


@pytest.mark.parametrize("mask_class_token", [False, True], ids=["keep-cls", "mask-cls"])
@pytest.mark.parametrize("mask_ratio", [0.0, 0.6, 0.9])
def test_random_token_mask_matches_lightly(mask_ratio: float, mask_class_token: bool) -> None:
    torch.manual_seed(3)
    ours = utils.random_token_mask((4, 17), mask_ratio, mask_class_token)
    torch.manual_seed(3)
    theirs = lightly_utils.random_token_mask((4, 17), mask_ratio, mask_class_token)
    for a, b in zip(ours, theirs):
        assert torch.equal(a, b)


def test_patchify_round_trip_and_bad_shapes() -> None:
    images = torch.randn(2, 3, 8, 8)
    assert torch.equal(utils.unpatchify(utils.patchify(images, 2), 2), images)
    with pytest.raises(ValueError, match="patch_size=3, got 8x8"):
        utils.patchify(images, 3)
    with pytest.raises(ValueError, match="number of patches must be a square, got 5"):
        utils.unpatchify(torch.randn(1, 5, 12), 2)


def test_normalize_weight_and_leaf_modules_match_lightly() -> None:
    ours, theirs = nn.Parameter(_g(0, 4, 6)), nn.Parameter(_g(0, 4, 6))
    utils.normalize_weight(ours)
    lightly_utils.normalize_weight(theirs)
    assert torch.equal(ours, theirs)
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    assert utils.get_named_leaf_modules(model) == lightly_utils.get_named_leaf_modules(model)
