"""The DALI backend: a MultiViewSpec as an NVIDIA DALI pipeline, on a GPU or in DALI's CPU mode.

Each file is decoded once (nvJPEG through DALI's ``mixed`` decoder on a GPU, the
CPU decoder with ``device_id=None``) and every view is a chain of DALI ops built
from the spec: random resized crop (antialiased), flips, color jitter in a
random order, grayscale, Gaussian blur, solarization, then crop-mirror-normalize
into float32 CHW. Random choices are DALI conditionals, so a branch not taken is
not computed.

How it differs from the reference, on purpose:
- the randomness is DALI's own generator, seeded from (seed, rank, epoch) and
  reseeded every epoch, not the C++ engine's counter-based one: an epoch
  repeats for one seed, but views are not those of the other backends, and a
  run resumed mid-epoch draws other augmentations than the interrupted one;
- saturation, grayscale and hue work in DALI's YIQ space (saturation and
  grayscale blend with the same luma as torchvision; hue rotates chroma instead of
  shifting the HSV hue), and contrast blends with the float mean of the luma;
- Gaussian blur uses a true Gaussian of the drawn sigma (Pillow approximates it
  with box blurs);
- rotation keeps the image size and interpolates linearly.

The files come from an external source in the order FastLoader asks for, so
shuffling and sharding are FastLoader's own (each rank loads its shard once per
epoch), not those of DALI's file reader.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch

from fastssl import _ext
from fastssl.data._image_loaders import file_name, open_image
from fastssl.data.backends.cpp import ON_ERROR, RenderedBatch, UnsupportedSpec, report_failures
from fastssl.errors import ImageDecodeError
from fastssl.gpu import with_device_index
from fastssl.transforms.spec import (ColorJitterSpec, GaussianBlurSpec, GrayscaleSpec, HorizontalFlipSpec,
                                     MultiViewSpec, RotationSpec, SolarizeSpec, VerticalFlipSpec, ViewSpec)

_INTERPOLATIONS = {"nearest": "INTERP_NN", "bilinear": "INTERP_LINEAR", "bicubic": "INTERP_CUBIC"}
# Color jitter order: one of the 24 permutations of (brightness, contrast, saturation, hue), as torchvision.
_ORDERS = list(itertools.permutations(range(4)))


def check_dali_spec(spec: MultiViewSpec) -> None:
    """UnsupportedSpec if a view cannot be built as a DALI pipeline."""
    for index, view in enumerate(spec.views):
        if view.crop is None:
            raise UnsupportedSpec(f"view {index} has no random resized crop, so its size varies per image")
        if view.normalize is not None and len(view.normalize.mean) != 3:
            raise UnsupportedSpec(f"view {index} normalizes {len(view.normalize.mean)} channels, DALI writes RGB")


class _Graph:
    """Builds the DALI ops of one pipeline (call inside the pipeline definition)."""

    def __init__(self, on_gpu: bool):
        from nvidia.dali import fn, types
        from nvidia.dali import math as dali_math

        self.fn, self.types, self.math, self.on_gpu = fn, types, dali_math, on_gpu

    def _coin(self, prob: float) -> Any:
        return self.fn.random.coin_flip(probability=prob, dtype=self.types.BOOL)

    def _uniform(self, low: float, high: float) -> Any:
        """A per-sample draw from [low, high]; the constant when the range is a single value."""
        return self.fn.random.uniform(range=[low, high]) if high > low else float(low)

    def _on_device(self, value: Any) -> Any:
        """A per-sample scalar moved next to the images (arithmetic needs both on one device)."""
        return value.gpu() if self.on_gpu and not isinstance(value, float) else value

    def _to_float(self, image: Any) -> Any:
        return self.fn.cast(image, dtype=self.types.FLOAT)

    def _to_uint8(self, image: Any) -> Any:
        return self.fn.cast(self.math.clamp(image, 0.0, 255.0), dtype=self.types.UINT8)

    def view(self, image: Any, spec: ViewSpec) -> Any:
        crop = spec.crop
        out = self.fn.random_resized_crop(
            image, size=list(crop.size), random_area=list(crop.scale), random_aspect_ratio=list(crop.ratio),
            interp_type=getattr(self.types, _INTERPOLATIONS[crop.interpolation]), antialias=True)
        for op in spec.ops:
            out = self._op(out, op)
        normalize = spec.normalize
        mean = [255.0 * m for m in normalize.mean] if normalize else [0.0, 0.0, 0.0]
        std = [255.0 * s for s in normalize.std] if normalize else [255.0, 255.0, 255.0]
        return self.fn.crop_mirror_normalize(out, dtype=self.types.FLOAT, output_layout="CHW", mean=mean, std=std)

    def _op(self, image: Any, op: Any) -> Any:
        if isinstance(op, HorizontalFlipSpec):
            return self.fn.flip(image, horizontal=self.fn.random.coin_flip(probability=op.prob), vertical=0)
        if isinstance(op, VerticalFlipSpec):
            return self.fn.flip(image, horizontal=0, vertical=self.fn.random.coin_flip(probability=op.prob))
        if isinstance(op, ColorJitterSpec):
            if op.prob is None:
                return self._jitter(image, op)
            if self._coin(op.prob):
                image = self._jitter(image, op)
            return image
        if isinstance(op, RotationSpec):
            return self._rotate(image, op)
        if isinstance(op, GrayscaleSpec):
            if self._coin(op.prob):
                image = self.fn.saturation(image, saturation=0.0)
            return image
        if isinstance(op, GaussianBlurSpec):
            if self._coin(op.prob):
                image = self.fn.gaussian_blur(image, sigma=self._uniform(*op.sigmas))
            return image
        if isinstance(op, SolarizeSpec):
            if self._coin(op.prob):
                pixels = self._to_float(image)
                image = self._to_uint8(pixels + (pixels >= float(op.threshold)) * (255.0 - 2.0 * pixels))
            return image
        raise UnsupportedSpec(f"the DALI backend has no {type(op).__name__}")

    def _rotate(self, image: Any, op: RotationSpec) -> Any:
        if op.prob == 0.0:
            return image
        if self._coin(op.prob):
            angle = 90.0 if op.degrees is None else self._uniform(*op.degrees)
            image = self.fn.rotate(image, angle=angle, keep_size=True, fill_value=0)
        return image

    def _jitter(self, image: Any, op: ColorJitterSpec) -> Any:
        """The jitter's adjustments in one of the 24 orders, drawn per sample."""
        factors = [self._uniform(max(0.0, 1.0 - op.brightness), 1.0 + op.brightness),
                   self._uniform(max(0.0, 1.0 - op.contrast), 1.0 + op.contrast),
                   self._uniform(max(0.0, 1.0 - op.saturation), 1.0 + op.saturation),
                   self._uniform(-op.hue, op.hue)]
        present = [op.brightness > 0, op.contrast > 0, op.saturation > 0, op.hue > 0]
        order = self.fn.random.uniform(values=list(range(len(_ORDERS))), dtype=self.types.INT32)
        for slot in range(4):
            kind = self.fn.lookup_table(order, keys=list(range(len(_ORDERS))),
                                        values=[permutation[slot] for permutation in _ORDERS],
                                        dtype=self.types.INT32)
            for adjustment in range(4):
                if present[adjustment] and kind == adjustment:
                    image = self._adjust(image, adjustment, factors[adjustment])
        return image

    def _adjust(self, image: Any, adjustment: int, factor: Any) -> Any:
        if adjustment == 0:
            return self.fn.brightness(image, brightness=factor)
        if adjustment == 1:  # blend with the mean luma of the image, as torchvision
            luma = self.fn.color_space_conversion(image, image_type=self.types.RGB, output_type=self.types.GRAY)
            mean = self.fn.reductions.mean(self._to_float(luma))
            pixels = self._to_float(image)
            return self._to_uint8(mean + self._on_device(factor) * (pixels - mean))
        if adjustment == 2:
            return self.fn.saturation(image, saturation=factor)
        return self.fn.hue(image, hue=factor * 360.0)


def _pipeline(spec: MultiViewSpec, batch_size: int, num_threads: int, device_id: Optional[int], seed: int) -> Any:
    from nvidia.dali import fn, pipeline_def, types

    @pipeline_def(enable_conditionals=True)
    def views_of_files() -> Tuple[Any, ...]:
        encoded = fn.external_source(name="encoded", dtype=types.UINT8, ndim=1)
        # Pixels as stored, like the reference path (Lightly ignores EXIF orientation).
        image = fn.decoders.image(encoded, device="cpu" if device_id is None else "mixed", output_type=types.RGB,
                                  adjust_orientation=False)
        graph = _Graph(on_gpu=device_id is not None)
        return tuple(graph.view(image, view) for view in spec.views)

    pipe = views_of_files(batch_size=batch_size, num_threads=num_threads, device_id=device_id, seed=seed,
                          prefetch_queue_depth=1, exec_async=False, exec_pipelined=False)
    pipe.build()
    return pipe


class DaliRenderer:
    """Renders batches of a spec's views from image files with a DALI pipeline.

    Args:
        spec: The views to render.
        paths: The image files; sample ``i`` is ``paths[i]``.
        root: Folder the paths are relative to in error messages.
        batch_size: The largest batch render() is asked for.
        seed: Seed of DALI's generator (with ``rank`` and the epoch).
        rank: This process's rank, so that ranks draw different augmentations.
        num_threads: DALI CPU threads.
        device: A CUDA device (nvJPEG decoding, GPU ops, CUDA output tensors), or
            None for DALI's CPU-only mode.
        on_error: "raise" an ImageDecodeError naming the file, or "skip" it with a warning.

    Example:
        >>> renderer = DaliRenderer(SimCLRTransform().spec, paths, root, batch_size=64)
        >>> [v.shape for v in renderer.render([0, 1, 2], epoch=0).views]
        [torch.Size([3, 3, 224, 224]), torch.Size([3, 3, 224, 224])]
    """

    def __init__(self, spec: MultiViewSpec, paths: Sequence[str], root: Optional[str], *, batch_size: int,
                 seed: int = 0, rank: int = 0, num_threads: int = 1, device: Optional[torch.device] = None,
                 on_error: str = "raise"):
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")
        _ext.require("nvidia.dali", _ext.dali)
        check_dali_spec(spec)
        self.spec, self.paths, self.root, self.on_error = spec, list(paths), root, on_error
        self.batch_size, self.seed, self.rank, self.num_threads = batch_size, seed, rank, num_threads
        self.device = None if device is None else with_device_index(device)
        self._lock = threading.Lock()  # one pipeline: one batch at a time, whichever iterator asks
        self._epoch = 0
        self._builds = 0
        self._pipe: Any = None
        self._build()

    def _build(self) -> None:
        """A pipeline seeded from (seed, rank, epoch); a failed run invalidates a DALI pipeline, so
        rebuilds also count in."""
        self._pipe = None  # free the old pipeline (its GPU memory) first
        device_id = None if self.device is None else self.device.index
        seed = int(np.random.SeedSequence([self.seed, self.rank, self._epoch, self._builds]).generate_state(1)[0])
        self._pipe = _pipeline(self.spec, self.batch_size, self.num_threads, device_id, seed % (2 ** 31))
        self._builds += 1

    def render(self, samples: Sequence[int], epoch: int) -> RenderedBatch:
        """Renders every view of ``samples``; a new ``epoch`` reseeds DALI's generator."""
        with self._lock:
            if epoch != self._epoch:
                self._epoch, self._builds = epoch, 0
                self._build()
            return self._render([int(s) for s in samples])

    def _render(self, samples: List[int]) -> RenderedBatch:
        failed: Dict[int, ImageDecodeError] = {}
        encoded = [self._read(sample, pos, failed) for pos, sample in enumerate(samples)]
        kept = [pos for pos in range(len(samples)) if pos not in failed]
        if not kept:
            views = self._empty()
        else:
            try:
                views = self._run([encoded[pos] for pos in kept])
            except RuntimeError:
                self._build()
                kept = self._find_undecodable(samples, encoded, kept, failed)
                views = self._run([encoded[pos] for pos in kept]) if kept else self._empty()
        if failed:
            report_failures(failed, self.on_error, stacklevel=4)
        return RenderedBatch(views, kept)

    def _read(self, sample: int, pos: int, failed: Dict[int, ImageDecodeError]) -> Optional[np.ndarray]:
        try:
            data = np.fromfile(self.paths[sample], dtype=np.uint8)
        except OSError as error:
            failed[pos] = ImageDecodeError(self._name(sample), f"cannot read the file ({error.strerror})")
            return None
        if data.size == 0:
            failed[pos] = ImageDecodeError(self._name(sample), "the file is empty")
            return None
        return data

    def _find_undecodable(self, samples: List[int], encoded: List[Optional[np.ndarray]], kept: List[int],
                          failed: Dict[int, ImageDecodeError]) -> List[int]:
        """Runs the files of a failed batch one by one; records those DALI cannot decode."""
        good = []
        for pos in kept:
            try:
                self._run([encoded[pos]])
                good.append(pos)
            except RuntimeError as error:
                self._build()
                failed[pos] = self._decode_error(samples[pos], encoded[pos], error)
        return good

    def _decode_error(self, sample: int, data: np.ndarray, error: RuntimeError) -> ImageDecodeError:
        """Why DALI failed on this one file: Pillow's reason when Pillow cannot decode it either
        (truncated, corrupt...), DALI's when only the decoder failed; any other failure is not the
        file's fault and is raised as it is."""
        try:
            open_image(self.paths[sample], self.root, data=data.tobytes())
        except ImageDecodeError as pillow_error:
            return pillow_error
        message = str(error)
        if "decoders.image" not in message:
            raise error
        detail = message.split("encountered:", 1)[-1].split("Current pipeline object", 1)[0].strip()
        return ImageDecodeError(self._name(sample), f"DALI cannot decode it ({detail or message.strip()})")

    def _run(self, encoded: List[np.ndarray]) -> List[torch.Tensor]:
        self._pipe.feed_input("encoded", encoded)
        return [_to_torch(output, self.device) for output in self._pipe.run()]

    def _empty(self) -> List[torch.Tensor]:
        return [torch.empty((0, 3, *view.crop.size), dtype=torch.float32, device=self.device)
                for view in self.spec.views]

    def _name(self, sample: int) -> str:
        return file_name(self.paths[sample], self.root)


def _video_pipeline(spec: MultiViewSpec, videos: List[str], batch_size: int, num_threads: int,
                    device_id: Optional[int], seed: int, shuffle: bool, rank: int, world_size: int) -> Any:
    from nvidia.dali import fn, pipeline_def

    @pipeline_def(enable_conditionals=True)
    def views_of_frames() -> Tuple[Any, ...]:
        # DALI's video reader: NVDEC on a GPU; its CPU mode decodes VP8, VP9 and MJPEG only.
        frames, labels, numbers = fn.experimental.readers.video(
            filenames=videos, labels=list(range(len(videos))), sequence_length=1, enable_frame_num=True,
            random_shuffle=shuffle, shard_id=rank, num_shards=world_size, stick_to_shard=True,
            pad_last_batch=True, name="videos", device="cpu" if device_id is None else "gpu")
        image = fn.squeeze(frames, axes=[0])  # one frame per sample: (1, H, W, C) -> (H, W, C)
        graph = _Graph(on_gpu=device_id is not None)
        return (*(graph.view(image, view) for view in spec.views), labels, numbers)

    pipe = views_of_frames(batch_size=batch_size, num_threads=num_threads, device_id=device_id, seed=seed)
    pipe.build()
    return pipe


class DaliVideoRenderer:
    """Every frame of a video folder through DALI's video reader and the spec's views.

    DALI decides the order (its reader shuffles within each rank's shard, with its
    own generator seeded from (seed, rank)) and the shards (``shard_id``/``num_shards``,
    each rank keeping its shard); every frame of a shard is read once per epoch.
    DALI pads every shard to the largest one, so all ranks yield as many batches;
    without drop_last, a rank whose shard is short ends with a batch of one
    repeated frame.

    Args:
        spec: The views to render.
        videos: The video files, in dataset order (a frame's target is its video's index).
        batch_size, shuffle, drop_last, seed, rank, world_size, num_threads: As FastLoader's.
        device: A CUDA device (NVDEC decoding), or None for DALI's CPU mode.
    """

    def __init__(self, spec: MultiViewSpec, videos: Sequence[str], *, batch_size: int, shuffle: bool,
                 drop_last: bool, seed: int = 0, rank: int = 0, world_size: int = 1, num_threads: int = 1,
                 device: Optional[torch.device] = None):
        _ext.require("nvidia.dali", _ext.dali)
        check_dali_spec(spec)
        device = None if device is None else with_device_index(device)
        self.device, self.batch_size = device, batch_size
        self._views = len(spec.views)
        rank_seed = int(np.random.SeedSequence([seed, rank]).generate_state(1)[0]) % (2 ** 31)
        self._pipe = _video_pipeline(spec, list(videos), batch_size, num_threads,
                                     None if device is None else device.index, rank_seed, shuffle, rank, world_size)
        meta = self._pipe.reader_meta("videos")
        self.epoch_size = meta["epoch_size"]
        self.shard_size = self.epoch_size * (rank + 1) // world_size - self.epoch_size * rank // world_size
        smallest = self.epoch_size // world_size
        self._runs = -(-(meta["epoch_size_padded"] // world_size) // batch_size)  # the reader's (padded) epoch
        self.batches = smallest // batch_size if drop_last else self._runs
        self._lock = threading.Lock()
        self._runs_done = 0  # pipeline runs since construction: the producer may run ahead of the consumer

    def epoch(self) -> Iterator[Tuple[List[torch.Tensor], np.ndarray, np.ndarray]]:
        """One epoch: (views, video indices, frame numbers) per batch."""
        with self._lock:
            while self._runs_done % self._runs:  # an earlier epoch was left early: finish it first
                self._run()
        remaining = self.shard_size
        for run in range(self._runs):
            with self._lock:
                outputs = self._run()  # every run happens, so that the next epoch starts at its start
            count = min(self.batch_size, remaining)
            remaining -= count
            if run >= self.batches:
                continue
            count = max(count, 1)  # a short shard's last batch: one (padded) repeat of its last frame
            views = [_to_torch(output, self.device)[:count] for output in outputs[:self._views]]
            labels, numbers = (_to_numpy(output).ravel()[:count] for output in outputs[self._views:])
            yield views, labels, numbers

    def _run(self) -> Any:
        outputs = self._pipe.run()
        self._runs_done += 1
        return outputs


def _to_numpy(output: Any) -> np.ndarray:
    """A small DALI output (labels, frame numbers) as a numpy array, from CPU or GPU memory."""
    return np.asarray((output.as_cpu() if hasattr(output, "as_cpu") else output).as_array())


def _to_torch(output: Any, device: Optional[torch.device]) -> torch.Tensor:
    """A DALI output batch as a torch tensor: from CPU memory, or copied on the device's current stream."""
    if device is None:
        return torch.from_numpy(output.as_array())
    from nvidia.dali.plugin.pytorch import feed_ndarray

    tensor = output.as_tensor()
    result = torch.empty(tensor.shape(), dtype=torch.float32, device=device)
    feed_ndarray(tensor, result, cuda_stream=torch.cuda.current_stream(device))
    return result
