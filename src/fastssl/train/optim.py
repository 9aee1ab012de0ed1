"""The optimizer of a run and its per-step schedules (learning rate, weight decay).

Learning rates scale linearly with the global batch (``lr * batch / 256``), warm
up linearly, then follow a half cosine to zero, as the methods' papers train.
Biases and normalization parameters get no weight decay (and so no LARS scaling).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from torch.optim import Optimizer

from fastssl.models.utils import get_weight_decay_parameters
from fastssl.train.config import TrainConfig
from fastssl.train.methods.base import OptimizerRecipe, SSLMethod
from fastssl.utils.lars import LARS
from fastssl.utils.optim import update_param_groups
from fastssl.utils.scheduler import cosine_schedule, cosine_warmup_schedule


@dataclass(frozen=True)
class Schedule:
    """Per-step values of the learning rate and weight decay of a run."""

    lr: float  # peak, already scaled to the global batch
    no_decay_lr_scale: float  # of the learning rate of biases and norm layers
    weight_decay: float
    weight_decay_end: Optional[float]
    warmup_steps: int
    total_steps: int

    def lr_at(self, step: int) -> float:
        return cosine_warmup_schedule(step, self.total_steps, self.lr, 0.0, self.warmup_steps, 0.0)

    def weight_decay_at(self, step: int) -> float:
        if self.weight_decay_end is None:
            return self.weight_decay
        return cosine_schedule(step, self.total_steps, self.weight_decay, self.weight_decay_end)

    def apply(self, optimizer: Optimizer, step: int) -> None:
        """Sets the values of ``step`` (counting from 0) in the optimizer's groups."""
        lr = self.lr_at(step)
        update_param_groups(optimizer, updates=[{"name": "decay", "lr": lr, "weight_decay": self.weight_decay_at(step)},
                                                {"name": "no_decay", "lr": lr * self.no_decay_lr_scale}])


def resolve_recipe(method: SSLMethod, config: TrainConfig) -> OptimizerRecipe:
    """The method's paper recipe with the config's overrides.

    Without an explicit ``warmup_epochs`` the paper's warmup is capped at a tenth
    of the run, so that a short run is not all warmup.
    """
    recipe = method.optimizer_recipe()
    return OptimizerRecipe(
        name=config.optimizer or recipe.name,
        base_lr=recipe.base_lr if config.lr is None else config.lr,
        weight_decay=recipe.weight_decay if config.weight_decay is None else config.weight_decay,
        warmup_epochs=(min(recipe.warmup_epochs, config.epochs // 10) if config.warmup_epochs is None
                       else config.warmup_epochs),
        momentum=recipe.momentum,
        weight_decay_end=recipe.weight_decay_end if config.weight_decay is None else None,
        clip_grad_norm=recipe.clip_grad_norm,
        no_decay_lr_scale=recipe.no_decay_lr_scale,
    )


def build_optimizer(method: SSLMethod, recipe: OptimizerRecipe, config: TrainConfig, world_size: int,
                    steps_per_epoch: int) -> "tuple[Optimizer, Schedule]":
    """The optimizer over the method's trainable parameters, and its schedule."""
    decay, no_decay = get_weight_decay_parameters([method])
    groups = [
        {"name": "decay", "params": [p for p in decay if p.requires_grad], "weight_decay": recipe.weight_decay},
        {"name": "no_decay", "params": [p for p in no_decay if p.requires_grad], "weight_decay": 0.0},
    ]
    global_batch = config.batch_size * config.accumulate * world_size
    lr = recipe.base_lr * global_batch / 256
    if recipe.name == "lars":
        optimizer: Optimizer = LARS(groups, lr=lr, momentum=recipe.momentum)
    elif recipe.name == "sgd":
        optimizer = torch.optim.SGD(groups, lr=lr, momentum=recipe.momentum)
    else:
        optimizer = torch.optim.AdamW(groups, lr=lr)
    total_steps = steps_per_epoch * config.epochs
    schedule = Schedule(lr=lr, no_decay_lr_scale=recipe.no_decay_lr_scale, weight_decay=recipe.weight_decay, weight_decay_end=recipe.weight_decay_end,
                        warmup_steps=min(recipe.warmup_epochs * steps_per_epoch, total_steps),
                        total_steps=total_steps)
    return optimizer, schedule
