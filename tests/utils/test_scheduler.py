"""Schedules: the same values as lightly.utils.scheduler at many steps."""

from __future__ import annotations

import warnings
from typing import Any, Callable, Dict, Optional

import pytest
import torch
from lightly.utils import scheduler as lightly_scheduler

from fastssl.utils import scheduler


@pytest.mark.parametrize(
    "period", [None, 1, 7, 40], ids=["no-period", "period-1", "period-7", "period-40"]
)
@pytest.mark.parametrize("max_steps", [0, 1, 2, 10, 101])
def test_cosine_schedule_equals_lightly(max_steps: int, period: Optional[int]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # steps past max_steps
        for step in range(max_steps + 5):
            for start, end in [(1.0, 0.0), (0.996, 1.0), (0.1, 1e-3)]:
                ours = scheduler.cosine_schedule(step, max_steps, start, end, period)
                theirs = lightly_scheduler.cosine_schedule(step, max_steps, start, end, period)
                assert ours == theirs
                assert type(ours) is float


@pytest.mark.parametrize("warmup_end_value", [None, 2.0], ids=["warmup-to-start", "warmup-to-2"])
@pytest.mark.parametrize("period", [None, 9], ids=["no-period", "period-9"])
@pytest.mark.parametrize("warmup_steps", [0, 1, 5, 30])
def test_cosine_warmup_schedule_equals_lightly(
    warmup_steps: int, period: Optional[int], warmup_end_value: Optional[float]
) -> None:
    for step in range(31):
        args = dict(
            step=step,
            max_steps=30,
            start_value=1.0,
            end_value=0.01,
            warmup_steps=warmup_steps,
            warmup_start_value=0.1,
            warmup_end_value=warmup_end_value,
            period=period,
        )
        assert scheduler.cosine_warmup_schedule(**args) == lightly_scheduler.cosine_warmup_schedule(
            **args
        )


@pytest.mark.parametrize("warmup_steps", [0, 1, 10])
def test_linear_warmup_schedule_equals_lightly(warmup_steps: int) -> None:
    for step in range(15):
        args = dict(step=step, warmup_steps=warmup_steps, start_value=0.2, end_value=1.5)
        assert scheduler.linear_warmup_schedule(**args) == lightly_scheduler.linear_warmup_schedule(
            **args
        )


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(warmup_epochs=3, max_epochs=20),
        dict(warmup_epochs=0, max_epochs=12, period=5, end_value=0.1),
        dict(warmup_epochs=4, max_epochs=15, warmup_start_value=0.5, warmup_end_value=2.0),
    ],
    ids=["default", "period", "warmup-values"],
)
def test_cosine_warmup_scheduler_learning_rates_equal_lightly(kwargs: Dict[str, Any]) -> None:
    def lrs(scheduler_class: Callable[..., Any]) -> list:
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.3)
        lr_scheduler = scheduler_class(optimizer, **kwargs)
        values = []
        for _ in range(kwargs["max_epochs"]):
            values.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            lr_scheduler.step()
        return values

    assert lrs(scheduler.CosineWarmupScheduler) == lrs(lightly_scheduler.CosineWarmupScheduler)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("cosine_schedule", dict(step=-1, max_steps=10, start_value=1.0, end_value=0.0)),
        ("cosine_schedule", dict(step=1, max_steps=-10, start_value=1.0, end_value=0.0)),
        ("cosine_schedule", dict(step=1, max_steps=10, start_value=1.0, end_value=0.0, period=0)),
        (
            "cosine_warmup_schedule",
            dict(
                step=1,
                max_steps=10,
                start_value=1.0,
                end_value=0.0,
                warmup_steps=-2,
                warmup_start_value=0.0,
            ),
        ),
        (
            "cosine_warmup_schedule",
            dict(
                step=1,
                max_steps=10,
                start_value=1.0,
                end_value=0.0,
                warmup_steps=11,
                warmup_start_value=0.0,
            ),
        ),
        ("linear_warmup_schedule", dict(step=1, warmup_steps=-3, start_value=0.0, end_value=1.0)),
        ("linear_warmup_schedule", dict(step=-1, warmup_steps=3, start_value=0.0, end_value=1.0)),
        ("linear_warmup_schedule", dict(step=1, warmup_steps=3, start_value=-0.5, end_value=1.0)),
        ("linear_warmup_schedule", dict(step=1, warmup_steps=3, start_value=0.0, end_value=0.0)),
        ("linear_warmup_schedule", dict(step=1, warmup_steps=3, start_value=2.0, end_value=1.0)),
    ],
    ids=[
        "negative-step",
        "negative-max-steps",
        "zero-period",
        "negative-warmup",
        "warmup-too-long",
        "linear-negative-warmup",
        "linear-negative-step",
        "linear-negative-start",
        "linear-zero-end",
        "linear-start-above-end",
    ],
)
def test_bad_arguments_raise_the_same_value_error_as_lightly(
    name: str, kwargs: Dict[str, Any]
) -> None:
    with pytest.raises(ValueError) as theirs:
        getattr(lightly_scheduler, name)(**kwargs)
    with pytest.raises(ValueError) as ours:
        getattr(scheduler, name)(**kwargs)
    assert str(ours.value) == str(theirs.value)


def test_step_past_max_steps_warns() -> None:
    with pytest.warns(RuntimeWarning, match="Current step number 12 exceeds max_steps 10"):
        assert scheduler.cosine_schedule(12, 10, 1.0, 0.0) == 0.0
