"""Every probe of an optional backend, in one place, each computed once.

Code elsewhere asks here ("is decord installed?", "is there a GPU?") instead of
scattering ``try: import`` blocks; ``python -m fastssl info`` prints them all.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
from dataclasses import dataclass
from types import ModuleType
from typing import Callable, Dict, Optional


@dataclass(frozen=True)
class Probe:
    """The state of one optional backend."""

    available: bool
    detail: str  # a version, or the reason it is unavailable


@functools.lru_cache(maxsize=None)
def optional_module(name: str) -> Optional[ModuleType]:
    """Imports ``name`` once; returns None when it is missing or broken."""
    try:
        return importlib.import_module(name)
    except Exception:  # a broken install (ABI mismatch, missing .so) counts as absent
        return None


def require(name: str, probe: Callable[[], Probe]) -> ModuleType:
    """The module ``name``, or an ImportError saying why it is unavailable (from ``probe``)."""
    module = optional_module(name)
    if module is None or not probe().available:
        raise ImportError(f"{name} is unavailable: {probe().detail}")
    return module


def _module_probe(name: str) -> Probe:
    module = optional_module(name)
    if module is None:
        return Probe(False, "not installed")
    return Probe(True, str(getattr(module, "__version__", "installed")))


@functools.lru_cache(maxsize=None)
def cpp_extension() -> Probe:
    """The fastssl._C engine (CPU, libjpeg-turbo)."""
    module = optional_module("fastssl._C")
    if module is None:
        return Probe(False, "not built (reinstall fastssl: pip install -e .)")
    return Probe(True, f"built, libjpeg-turbo {module.libjpeg_turbo_version()}")


@functools.lru_cache(maxsize=None)
def cuda_extension() -> Probe:
    """The fastssl._C_cuda kernels (compiled only where nvcc was found)."""
    module = optional_module("fastssl._C_cuda")
    if module is None:
        return Probe(False, "not built (needs nvcc at install time, FASTSSL_CUDA=auto|on)")
    return Probe(True, f"built for CUDA {module.cuda_runtime_version()}")


@functools.lru_cache(maxsize=None)
def gpu() -> Probe:
    """A CUDA device visible to torch."""
    torch = optional_module("torch")
    if torch is None:
        return Probe(False, "torch not installed")
    if not torch.cuda.is_available():
        return Probe(False, f"none visible to torch {torch.__version__}")
    return Probe(True, f"{torch.cuda.get_device_name(0)} (x{torch.cuda.device_count()})")


@functools.lru_cache(maxsize=None)
def dali() -> Probe:
    """NVIDIA DALI (GPU decoding and augmentation)."""
    return _module_probe("nvidia.dali")


@functools.lru_cache(maxsize=None)
def decord() -> Probe:
    """decord (fast video frame reading)."""
    return _module_probe("decord")


@functools.lru_cache(maxsize=None)
def pyav() -> Probe:
    """PyAV (the fallback video reader)."""
    return _module_probe("av")


@functools.lru_cache(maxsize=None)
def pillow() -> Probe:
    """Pillow or its SIMD fork; both work, Pillow-SIMD is faster on the fallback path."""
    module = optional_module("PIL")
    if module is None:
        return Probe(False, "not installed")
    simd = _distribution_version("Pillow-SIMD")
    flavor = "Pillow-SIMD" if simd else "Pillow"
    return Probe(True, f"{flavor} {module.__version__}")


@functools.lru_cache(maxsize=None)
def pillow_resize_pass_order() -> str:
    """Which separable pass the installed Pillow resizes with first.

    Pillow 13 runs the vertical pass first when the height shrinks much more than
    the width; older Pillow and Pillow-SIMD always start horizontally. The engine
    follows the installed Pillow so that it stays bit-exact with the reference path.
    Probed by behaviour (one tiny resize), which also covers forks.
    """
    image_module = optional_module("PIL.Image")
    if image_module is None:
        return "horizontal_first"
    import numpy as np

    pixels = np.random.default_rng(0).integers(0, 256, (51, 70, 3), dtype=np.uint8)
    image = image_module.fromarray(pixels)
    one_step = np.asarray(image.resize((69, 42), image_module.BILINEAR))
    vertical_first = np.asarray(image.resize((70, 42), image_module.BILINEAR).resize((69, 42), image_module.BILINEAR))
    return "pillow13" if np.array_equal(one_step, vertical_first) else "horizontal_first"


@functools.lru_cache(maxsize=None)
def triton() -> Probe:
    """Triton (fused GPU loss kernels)."""
    return _module_probe("triton")


@functools.lru_cache(maxsize=None)
def timm() -> Probe:
    """timm (more backbones for ``fastssl train``)."""
    return _module_probe("timm")


def _distribution_version(name: str) -> Optional[str]:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


PROBES: Dict[str, Callable[[], Probe]] = {
    "C++ extension (fastssl._C)": cpp_extension,
    "CUDA extension (fastssl._C_cuda)": cuda_extension,
    "GPU visible to torch": gpu,
    "NVIDIA DALI": dali,
    "decord": decord,
    "PyAV": pyav,
    "Pillow": pillow,
    "Triton": triton,
    "timm": timm,
}


def info() -> str:
    """A human-readable report of the version and every optional backend."""
    from fastssl import __version__

    width = max(len(name) for name in PROBES)
    lines = [f"fastssl {__version__}"]
    for name, probe_fn in PROBES.items():
        probe = probe_fn()
        mark = "yes" if probe.available else "no "
        lines.append(f"  {name:<{width}}  {mark}  {probe.detail}")
    return "\n".join(lines)
