"""The C++ engine backend: a MultiViewSpec rendered for a batch of image files.

Each file is read and decoded once by libjpeg-turbo (DCT-scaled when no view
needs the full resolution) and all its views are written straight into the
batch tensors by the engine's threads, with the GIL released. Files that are not
JPEGs are decoded by Pillow in the calling thread and augmented by the engine.
"""

from __future__ import annotations

import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from fastssl._ext import cpp_extension, pillow_resize_pass_order, require
from fastssl.data._image_loaders import file_name, pil_loader
from fastssl.data.backends.buffers import RecycledBuffers
from fastssl.errors import ImageDecodeError
from fastssl.jpeg import DEFAULT_MAX_PIXELS
from fastssl.transforms.spec import (
    ColorJitterSpec,
    GaussianBlurSpec,
    GrayscaleSpec,
    HorizontalFlipSpec,
    MultiViewSpec,
    RotationSpec,
    SolarizeSpec,
    VerticalFlipSpec,
    ViewSpec,
)

JPEG_EXTENSIONS = (".jpg", ".jpeg")
# Batch buffers kept for reuse: the loader's prefetch queue (2 by default), the
# batch being rendered, and the two the training loop may hold while it asks for
# the next one.
KEPT_BATCHES = 5
ON_ERROR = ("raise", "skip")


def report_failures(failed: Dict[int, ImageDecodeError], on_error: str, stacklevel: int) -> None:
    """Raises the first failure (on_error="raise"), or warns about each one it skips."""
    if on_error == "raise":
        raise failed[min(failed)]
    for pos in sorted(failed):
        warnings.warn(f"skipping {failed[pos]}", RuntimeWarning, stacklevel=stacklevel + 1)


class UnsupportedSpec(ValueError):
    """The engine cannot execute this spec (the reason says which part)."""


def _op_dict(op: Any) -> Dict[str, Any]:
    if isinstance(op, HorizontalFlipSpec):
        return {"kind": "hflip", "prob": op.prob}
    if isinstance(op, VerticalFlipSpec):
        return {"kind": "vflip", "prob": op.prob}
    if isinstance(op, ColorJitterSpec):
        return {"kind": "color_jitter", "prob": op.prob, "brightness": op.brightness, "contrast": op.contrast,
                "saturation": op.saturation, "hue": op.hue}
    if isinstance(op, GrayscaleSpec):
        return {"kind": "grayscale", "prob": op.prob}
    if isinstance(op, GaussianBlurSpec):
        return {"kind": "blur", "prob": op.prob, "sigmas": op.sigmas}
    if isinstance(op, SolarizeSpec):
        return {"kind": "solarize", "prob": op.prob, "threshold": op.threshold}
    raise UnsupportedSpec(f"the C++ engine has no {type(op).__name__}")


def _is_noop(op: Any) -> bool:
    """Presets carry a rotation with probability 0 (SimCLR's rr_prob); it changes nothing."""
    return isinstance(op, RotationSpec) and op.prob == 0.0


def engine_views(spec: MultiViewSpec) -> List[Dict[str, Any]]:
    """The spec as the plain dicts ``fastssl._C.Engine`` takes; UnsupportedSpec if it cannot run it."""
    views = []
    for index, view in enumerate(spec.views):
        if not isinstance(view, ViewSpec) or view.crop is None:
            raise UnsupportedSpec(f"view {index} has no random resized crop, so its size varies per image")
        normalize = view.normalize
        if normalize is not None and (len(normalize.mean) != 3 or len(normalize.std) != 3):
            raise UnsupportedSpec(f"view {index} normalizes {len(normalize.mean)} channels, the engine writes RGB")
        height, width = view.crop.size
        views.append({
            "height": height, "width": width, "scale": view.crop.scale, "ratio": view.crop.ratio,
            "interpolation": view.crop.interpolation, "ops": [_op_dict(op) for op in view.ops if not _is_noop(op)],
            "mean": None if normalize is None else normalize.mean,
            "std": None if normalize is None else normalize.std,
        })
    return views


@dataclass
class RenderedBatch:
    """The views of the samples that rendered, and which positions of the request they are."""

    views: List[torch.Tensor]  # one (n, 3, H, W) tensor per view
    kept: List[int]  # positions (in the requested samples) of the rows, in order


class CppRenderer:
    """Renders batches of a spec's views from image files with ``fastssl._C.Engine``.

    Args:
        spec: The views to render.
        paths: The image files; sample ``i`` is ``paths[i]`` and keys its randomness.
        root: Folder the paths are relative to in error messages.
        seed: Seed of the counter-based randomness.
        num_threads: Engine threads.
        output: "float32" (normalized as the spec says, like the reference path) or
            "uint8" (normalize later, e.g. on the GPU).
        on_error: "raise" an ImageDecodeError naming the file, or "skip" it with a warning.
        pin_memory: Allocate the batch tensors in pinned memory (for fast GPU copies).
        dct_scaling: Decode JPEGs at 1/2, 1/4 or 1/8 size when every view allows it.

    Example:
        >>> renderer = CppRenderer(SimCLRTransform().spec, paths, root, seed=0, num_threads=2)
        >>> batch = renderer.render(samples=[0, 1, 2], epoch=0)
        >>> [v.shape for v in batch.views]
        [torch.Size([3, 3, 224, 224]), torch.Size([3, 3, 224, 224])]
    """

    def __init__(self, spec: MultiViewSpec, paths: Sequence[str], root: Optional[str], *, seed: int = 0,
                 num_threads: int = 1, output: str = "float32", on_error: str = "raise",
                 pin_memory: bool = False, dct_scaling: bool = True):
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")
        engine_module = require("fastssl._C", cpp_extension)
        views = engine_views(spec)
        self.paths = list(paths)
        self.root = root
        self.on_error = on_error
        self.pin_memory = pin_memory
        self.dtype = torch.float32 if output == "float32" else torch.uint8
        self.shapes = [(3, view["height"], view["width"]) for view in views]
        self._is_jpeg = [path.lower().endswith(JPEG_EXTENSIONS) for path in self.paths]
        # Views of one size share arrays (DINO's six local crops); the last batch may be smaller.
        same_size = max(Counter(self.shapes).values())
        self._buffers = RecycledBuffers(per_shape=KEPT_BATCHES * same_size, shapes=2 * len(set(self.shapes)))
        self._pillow_pool = ThreadPoolExecutor(max_workers=num_threads, thread_name_prefix="fastssl-pillow")
        self._engine = engine_module.Engine(views, self.paths, seed=seed, num_threads=num_threads, output=output,
                                            dct_scaling=dct_scaling, max_pixels=DEFAULT_MAX_PIXELS,
                                            resample_order=pillow_resize_pass_order())

    def render(self, samples: Sequence[int], epoch: int,
               decoded: Optional[List[Optional[np.ndarray]]] = None) -> RenderedBatch:
        """Renders every view of ``samples`` for ``epoch``.

        ``decoded`` optionally holds the samples' pixels, decoded elsewhere (video
        frames: RGB uint8 (H, W, 3) arrays); None entries are read from their files.
        """
        samples = np.asarray(samples, dtype=np.int64)
        n = len(samples)
        views = [self._empty((n, *shape)) for shape in self.shapes]
        outputs = [view.numpy() for view in views]
        failed: Dict[int, ImageDecodeError] = {}
        decoded = list(decoded) if decoded is not None else [None] * n
        self._decode_with_pillow([pos for pos in range(n) if decoded[pos] is None and not self._is_jpeg[samples[pos]]],
                                 samples, decoded, failed)
        todo = [pos for pos in range(n) if pos not in failed]
        for _attempt in range(2):  # the second pass re-renders ".jpg" files that are not JPEGs, via Pillow
            errors = self._engine.run(samples[todo], np.asarray(todo, np.int64), epoch, outputs,
                                      [decoded[pos] for pos in todo])
            not_jpegs = []
            for item, not_jpeg, message in errors:
                pos = todo[item]
                if not_jpeg and decoded[pos] is None:
                    not_jpegs.append(pos)
                else:
                    failed[pos] = ImageDecodeError(self._name(samples[pos]), message)
            self._decode_with_pillow(not_jpegs, samples, decoded, failed)
            retry = [pos for pos in not_jpegs if pos not in failed]
            if not retry:
                break
            todo = retry
        return self._apply_policy(views, failed, n)

    def params(self, sample: int, epoch: int, view: int, height: int, width: int) -> Dict[str, Any]:
        """The random parameters of a view, as render() draws them for an image of that size.

        ``{"box": (x0, y0, x1, y1), "ops": [{"kind": ..., ...}, ...]}`` with the ops that
        apply, in order; color jitter lists its ``adjustments`` as (name, factor) in order.
        """
        return self._engine.params(sample, epoch, view, height, width)

    def _empty(self, shape: Tuple[int, ...]) -> torch.Tensor:
        if self.pin_memory:  # torch's pinned allocator caches its blocks itself
            return torch.empty(shape, dtype=self.dtype, pin_memory=True)
        return self._buffers.empty(shape, self.dtype)

    def _name(self, sample: int) -> str:
        return file_name(self.paths[sample], self.root)

    def _decode_with_pillow(self, positions: List[int], samples: np.ndarray, decoded: List[Optional[np.ndarray]],
                            failed: Dict[int, ImageDecodeError]) -> None:
        """Decodes the files at ``positions`` with Pillow, in parallel (Pillow releases the GIL)."""

        def load(pos: int) -> Optional[np.ndarray]:
            try:
                return np.asarray(pil_loader(self.paths[samples[pos]], self.root))
            except ImageDecodeError as error:
                failed[pos] = error
                return None

        for pos, pixels in zip(positions, self._pillow_pool.map(load, positions)):
            decoded[pos] = pixels

    def _apply_policy(self, views: List[torch.Tensor], failed: Dict[int, ImageDecodeError], n: int) -> RenderedBatch:
        if not failed:
            return RenderedBatch(views, list(range(n)))
        report_failures(failed, self.on_error, stacklevel=3)
        kept = [pos for pos in range(n) if pos not in failed]
        index = torch.as_tensor(kept, dtype=torch.long)
        compact = [torch.empty((len(kept), *view.shape[1:]), dtype=view.dtype, pin_memory=self.pin_memory)
                   for view in views]  # stays pinned, so copies to the GPU stay asynchronous
        return RenderedBatch([torch.index_select(view, 0, index, out=out) for view, out in zip(views, compact)], kept)
