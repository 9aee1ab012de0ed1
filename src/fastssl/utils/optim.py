"""Setting hyperparameters of named optimizer parameter groups, at Lightly's module path."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

from torch.optim import Optimizer


def update_param_groups(optimizer: Optimizer, default_update: Optional[Dict[str, Any]] = None,
                        updates: Optional[Iterable[Dict[str, Any]]] = None) -> None:
    """Updates values in the optimizer's param groups, e.g. to follow a schedule.

    Args:
        optimizer: A PyTorch optimizer.
        default_update: Values set in every group that already has the key.
        updates: Dicts with a "name" key; their values go to the groups of that
            name and take precedence over ``default_update``.

    Raises:
        ValueError: If no group has an update's name, or such a group lacks one of its keys.

    Example:
        >>> update_param_groups(optimizer, default_update={"lr": 0.1},
        ...                     updates=[{"name": "no_weight_decay", "weight_decay": 0.0}])
    """
    for key, value in (default_update or {}).items():
        for group in optimizer.param_groups:
            if key in group:
                group[key] = value
    for update in updates or []:
        name = update["name"]
        groups = [group for group in optimizer.param_groups if group.get("name") == name]
        if not groups:
            raise ValueError(f"No param group with name '{name}' in optimizer.")
        for group in groups:
            for key, value in update.items():
                if key not in group:
                    raise ValueError(f"Key '{key}' not found in param group with name '{name}'.")
                group[key] = value
