"""LARS: SGD with layer-wise adaptive rate scaling, at Lightly's module path.

You, Gitman and Ginsburg, "Large Batch Training of Convolutional Networks", 2017
(https://arxiv.org/abs/1708.03888). Same update as Lightly's ``LARS`` (from
Lightning Bolts): for a parameter p with gradient g and weight decay wd > 0,

    trust = trust_coefficient * |p| / (|g| + wd * |p| + eps)   (1 when |p| or |g| is 0)
    d = trust * (g + wd * p);  v = momentum * v + (1 - dampening) * d;  p -= lr * v

Parameters whose group has weight_decay == 0 (biases and norms, as in SimCLR and
BYOL) are neither decayed nor rescaled: plain SGD with momentum.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import torch
from torch.optim.optimizer import Optimizer


class LARS(Optimizer):
    """SGD with LARS scaling (see the module docstring for the update).

    Args:
        params: Parameters or parameter-group dicts.
        lr: Learning rate.
        momentum: Momentum factor.
        dampening: Dampening of the momentum.
        weight_decay: L2 penalty; groups with 0 skip the LARS scaling.
        nesterov: Nesterov momentum.
        trust_coefficient: Scale of the layer-wise rate.
        eps: Added to the denominator of the trust ratio.

    Example:
        >>> model = torch.nn.Linear(10, 1)
        >>> optimizer = LARS(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-6)
        >>> model(torch.randn(4, 10)).sum().backward()
        >>> optimizer.step()
    """

    def __init__(self, params: Any, lr: float, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, trust_coefficient: float = 0.001,
                 eps: float = 1e-8):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, trust_coefficient=trust_coefficient, eps=eps)
        super().__init__(params, defaults)

    def __setstate__(self, state: Dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)

    @torch.no_grad()
    def step(self, closure: Optional[Callable[[], float]] = None) -> Optional[float]:  # type: ignore[override]
        """Performs one optimization step (``closure`` re-evaluates the loss)."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, group)
        return loss

    def _update(self, p: torch.Tensor, group: Dict[str, Any]) -> None:
        direction = p.grad
        weight_decay = group["weight_decay"]
        if weight_decay != 0:
            p_norm, g_norm = torch.norm(p), torch.norm(p.grad)
            if p_norm != 0 and g_norm != 0:
                trust = p_norm / (g_norm + p_norm * weight_decay + group["eps"]) * group["trust_coefficient"]
                direction = direction.add(p, alpha=weight_decay).mul_(trust)
        momentum = group["momentum"]
        if momentum != 0:
            state = self.state[p]
            if "momentum_buffer" not in state:
                buffer = state["momentum_buffer"] = torch.clone(direction).detach()
            else:
                buffer = state["momentum_buffer"]
                buffer.mul_(momentum).add_(direction, alpha=1 - group["dampening"])
            direction = direction.add(buffer, alpha=momentum) if group["nesterov"] else buffer
        p.add_(direction, alpha=-group["lr"])
