"""Datasets, collate functions and loaders, with Lightly's names (lightly.data).

Names are resolved lazily so that ``import fastssl.data`` stays cheap and each
submodule imports torchvision / PyAV only when it is used.
"""

from __future__ import annotations

import importlib
from typing import Any, Dict, List

_EXPORTS: Dict[str, str] = {
    "LightlyDataset": "fastssl.data.dataset",
    "FastLoader": "fastssl.data.loader",
    "VideoError": "fastssl.data._video",
    "EmptyVideoError": "fastssl.data._video",
    "NonIncreasingTimestampError": "fastssl.data._video",
    "UnseekableTimestampError": "fastssl.data._video",
    "MultiViewCollate": "fastssl.data.multi_view_collate",
    "BaseCollateFunction": "fastssl.data.collate",
    "ImageCollateFunction": "fastssl.data.collate",
    "SimCLRCollateFunction": "fastssl.data.collate",
    "MoCoCollateFunction": "fastssl.data.collate",
    "MultiViewCollateFunction": "fastssl.data.collate",
    "MultiCropCollateFunction": "fastssl.data.collate",
    "SwaVCollateFunction": "fastssl.data.collate",
    "DINOCollateFunction": "fastssl.data.collate",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'fastssl.data' has no attribute '{name}'")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(_EXPORTS))
