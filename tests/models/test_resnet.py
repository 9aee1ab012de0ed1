"""ResNetGenerator: same architecture, state_dict and outputs as Lightly's."""

from __future__ import annotations

from typing import Tuple

import pytest
import torch
import torch.nn as nn
from lightly.models import ResNetGenerator as LightlyResNetGenerator

from fastssl.models import ResNetGenerator


def _pair(name: str, width: float, num_splits: int = 0) -> Tuple[nn.Module, nn.Module]:
    torch.manual_seed(0)
    ours = ResNetGenerator(name, width=width, num_classes=5, num_splits=num_splits)
    torch.manual_seed(0)
    theirs = LightlyResNetGenerator(name, width=width, num_classes=5, num_splits=num_splits)
    return ours, theirs


def _assert_same_state(ours: nn.Module, theirs: nn.Module) -> None:
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    assert all(torch.equal(ours_state[k], theirs_state[k]) for k in ours_state)


@pytest.mark.parametrize(
    "name", ["resnet-9", "resnet-18", "resnet-34", "resnet-50", "resnet-101", "resnet-152"]
)
def test_same_seed_gives_same_state_dict(name: str) -> None:
    ours, theirs = _pair(name, width=1 / 64)
    _assert_same_state(ours, theirs)
    theirs.load_state_dict(ours.state_dict(), strict=True)


@pytest.mark.parametrize(
    "name, num_splits",
    [("resnet-9", 0), ("resnet-18", 2), ("resnet-50", 0)],
    ids=["resnet-9", "resnet-18-split", "resnet-50"],
)
def test_outputs_and_running_stats_match_lightly(name: str, num_splits: int) -> None:
    ours, theirs = _pair(name, width=1 / 16, num_splits=num_splits)
    x = torch.randn(2, 3, 32, 32)
    for train in (True, False):  # SplitBatchNorm collates its statistics on eval()
        ours.train(train)
        theirs.train(train)
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-6, atol=0)
        _assert_same_state(ours, theirs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(name="resnet-7"), r"Illegal name: \{resnet-7\}"),
        (dict(width=0), "width must be > 0"),
        (dict(num_classes=0), "num_classes must be >= 1, got 0"),
        (dict(num_splits=-1), "num_splits must be >= 0, got -1"),
    ],
    ids=["name", "width", "num_classes", "num_splits"],
)
def test_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ResNetGenerator(**kwargs)
