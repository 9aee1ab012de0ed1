"""The SSL methods the trainer knows, by name."""

from __future__ import annotations

from typing import Any, Dict, Type

from fastssl.train.backbones import Backbone
from fastssl.train.methods.base import EMASchedule, OptimizerRecipe, SSLMethod
from fastssl.train.methods.clustering import SwaV
from fastssl.train.methods.contrastive import NNCLR, MoCo, SimCLR
from fastssl.train.methods.redundancy_reduction import BarlowTwins, VICReg
from fastssl.train.methods.self_distillation import BYOL, DINO, SimSiam

METHODS: Dict[str, Type[SSLMethod]] = {
    method.name: method for method in (SimCLR, MoCo, BYOL, SimSiam, BarlowTwins, VICReg, DINO, SwaV, NNCLR)
}


def method_class(name: str) -> Type[SSLMethod]:
    """The method called ``name``; ValueError listing the choices otherwise."""
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose one of: {', '.join(METHODS)}")
    return METHODS[name]


def build_method(name: str, backbone: Backbone, gather_distributed: bool = False, **kwargs: Any) -> SSLMethod:
    """The method ``name`` around ``backbone``; ``kwargs`` override its head sizes and loss settings.

    Raises:
        ValueError: If the method is unknown or does not take one of ``kwargs``.
    """
    cls = method_class(name)
    try:
        return cls(backbone, gather_distributed=gather_distributed, **kwargs)
    except TypeError as error:
        raise ValueError(f"method {name!r}: {error}") from None


__all__ = ["METHODS", "OptimizerRecipe", "SSLMethod", "EMASchedule", "build_method", "method_class",
           "SimCLR", "MoCo", "BYOL", "SimSiam", "BarlowTwins", "VICReg", "DINO", "SwaV", "NNCLR"]
