"""Learning-rate and momentum schedules, value for value equal to ``lightly.utils.scheduler``."""

from __future__ import annotations

import warnings
from typing import Optional

import numpy as np
import torch


def _half_cosine(step: int, steps: int, start_value: float, end_value: float) -> float:
    """Cosine interpolation from ``start_value`` (step 0) to ``end_value`` (step ``steps``)."""
    # np.cos, not math.cos: keeps the last bit equal to Lightly's values.
    return float(end_value - (end_value - start_value) * (np.cos(np.pi * step / steps) + 1) / 2)


def cosine_schedule(
    step: int,
    max_steps: int,
    start_value: float,
    end_value: float,
    period: Optional[int] = None,
) -> float:
    """Cosine decay from ``start_value`` to ``end_value``.

    Without ``period`` the value follows half a cosine over ``max_steps`` steps and
    equals ``end_value`` from step ``max_steps - 1`` on (PyTorch Lightning also
    steps the scheduler after the last epoch). With ``period`` it cycles with that
    period forever.

    Args:
        step: Current step, >= 0.
        max_steps: Total number of steps, >= 0.
        start_value: Value at step 0.
        end_value: Value at the last step.
        period: Number of steps of one full cosine cycle, >= 1, or None.

    Returns:
        The scheduled value as a Python float.

    Raises:
        ValueError: If ``step`` or ``max_steps`` is negative or ``period`` < 1.

    Examples:
        >>> cosine_schedule(step=0, max_steps=10, start_value=1.0, end_value=0.0)
        1.0
        >>> cosine_schedule(step=9, max_steps=10, start_value=1.0, end_value=0.0)
        0.0
    """
    if step < 0:
        raise ValueError(f"Current step number {step} can't be negative.")
    if max_steps < 0:
        raise ValueError(f"Total step number {max_steps} can't be negative.")
    if period is None and step > max_steps:
        warnings.warn(
            f"Current step number {step} exceeds max_steps {max_steps}.",
            category=RuntimeWarning,
        )
    if period is not None and period <= 0:
        raise ValueError(f"Period {period} must be >= 1")

    if period is not None:
        # A full cycle every `period` steps.
        return float(
            end_value - (end_value - start_value) * (np.cos(2 * np.pi * step / period) + 1) / 2
        )
    if max_steps <= 1 or step >= max_steps - 1:
        return float(end_value)
    return _half_cosine(step, max_steps - 1, start_value, end_value)


def cosine_warmup_schedule(
    step: int,
    max_steps: int,
    start_value: float,
    end_value: float,
    warmup_steps: int,
    warmup_start_value: float,
    warmup_end_value: Optional[float] = None,
    period: Optional[int] = None,
) -> float:
    """Linear warmup for ``warmup_steps`` steps, then :func:`cosine_schedule`.

    The warmup reaches ``warmup_end_value`` (default: ``start_value``) at its last
    step; its first value is one increment above ``warmup_start_value`` so that a
    warmup from 0 never yields a zero learning rate.

    Args:
        step: Current step.
        max_steps: Total number of steps, warmup included.
        start_value: First value of the cosine phase.
        end_value: Last value of the cosine phase.
        warmup_steps: Number of warmup steps, 0 <= warmup_steps <= max_steps.
        warmup_start_value: Value the warmup starts from.
        warmup_end_value: Value at the end of the warmup (default ``start_value``).
        period: Optional period of the cosine phase (see :func:`cosine_schedule`).

    Raises:
        ValueError: If ``warmup_steps`` is negative or larger than ``max_steps``.

    Examples:
        >>> cosine_warmup_schedule(0, 10, 1.0, 0.0, warmup_steps=2, warmup_start_value=0.0)
        0.5
    """
    if warmup_steps < 0:
        raise ValueError(f"Warmup steps {warmup_steps} can't be negative.")
    if warmup_steps > max_steps:
        raise ValueError(f"Warmup steps {warmup_steps} must be <= max_steps.")
    if step > max_steps:
        warnings.warn(
            f"Current step number {step} exceeds max_steps {max_steps}.",
            category=RuntimeWarning,
        )
    if warmup_end_value is None:
        warmup_end_value = start_value

    if step < warmup_steps:
        return (
            warmup_start_value + (warmup_end_value - warmup_start_value) * (step + 1) / warmup_steps
        )
    return cosine_schedule(
        step=step - warmup_steps,
        max_steps=max_steps - (warmup_steps if period is None else 1),
        start_value=start_value,
        end_value=end_value,
        period=period,
    )


def linear_warmup_schedule(
    step: int,
    warmup_steps: int,
    start_value: float,
    end_value: float,
) -> float:
    """Linear ramp from ``start_value`` to ``end_value`` over ``warmup_steps``, then constant.

    Args:
        step: Current step, >= 0.
        warmup_steps: Number of warmup steps, >= 0.
        start_value: Value at step 0, >= 0.
        end_value: Value after the warmup, > 0 and >= ``start_value``.

    Raises:
        ValueError: If an argument is out of the ranges above.

    Examples:
        >>> linear_warmup_schedule(step=5, warmup_steps=10, start_value=0.0, end_value=1.0)
        0.5
    """
    if warmup_steps < 0:
        raise ValueError(f"Warmup steps {warmup_steps} can't be negative.")
    if step < 0:
        raise ValueError(f"Current step number {step} can't be negative.")
    if start_value < 0:
        raise ValueError(f"Start value {start_value} can't be negative.")
    if end_value <= 0:
        raise ValueError(f"End value {end_value} can't be non-positive.")
    if start_value > end_value:
        raise ValueError(
            f"Start value {start_value} must be less than or equal to end value {end_value}."
        )
    if step < warmup_steps:
        return start_value + step / warmup_steps * (end_value - start_value)
    return end_value


class CosineWarmupScheduler(torch.optim.lr_scheduler.LambdaLR):
    """Learning-rate scheduler: linear warmup, then cosine decay (a factor on the base lr).

    The ``epoch`` arguments may count epochs or steps, following PyTorch's naming.

    Args:
        optimizer: The optimizer whose learning rate is scheduled.
        warmup_epochs: Number of warmup epochs or steps.
        max_epochs: Total number of epochs or steps.
        last_epoch: Index of the last epoch, -1 to start fresh.
        start_value: Factor at the start of the cosine phase.
        end_value: Factor at the end of the cosine phase.
        period: Optional period of the cosine phase.
        warmup_start_value: Factor the warmup starts from.
        warmup_end_value: Factor at the end of the warmup (default ``start_value``).

    Examples:
        >>> optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        >>> scheduler = CosineWarmupScheduler(optimizer, warmup_epochs=10, max_epochs=100)
        >>> for epoch in range(100):
        ...     train_one_epoch(optimizer)
        ...     scheduler.step()
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        warmup_epochs: int,
        max_epochs: int,
        last_epoch: int = -1,
        start_value: float = 1.0,
        end_value: float = 0.001,
        period: Optional[int] = None,
        warmup_start_value: float = 0.0,
        warmup_end_value: Optional[float] = None,
    ) -> None:
        self.warmup_epochs = warmup_epochs
        self.max_epochs = max_epochs
        self.start_value = start_value
        self.end_value = end_value
        self.period = period
        self.warmup_start_value = warmup_start_value
        self.warmup_end_value = warmup_end_value
        super().__init__(optimizer=optimizer, lr_lambda=self.scale_lr, last_epoch=last_epoch)

    def scale_lr(self, epoch: int) -> float:
        """Returns the learning-rate factor for ``epoch``."""
        return cosine_warmup_schedule(
            step=epoch,
            max_steps=self.max_epochs,
            start_value=self.start_value,
            end_value=self.end_value,
            warmup_steps=self.warmup_epochs,
            warmup_start_value=self.warmup_start_value,
            warmup_end_value=self.warmup_end_value,
            period=self.period,
        )
