"""The CUDA backend: nvJPEG decoding (torchvision) and fastssl's own CUDA kernels.

For a batch, the files are read on threads, JPEGs are decoded together on the
GPU by ``torchvision.io.decode_jpeg(device="cuda")``, and everything nvJPEG
cannot take (other formats, CMYK/YCCK, files that do not end like a complete
JPEG, anything it rejects) is decoded on the CPU (libjpeg-turbo for JPEGs,
Pillow otherwise) and uploaded. The C++ engine then plans every view of every
image with its counter-based parameters (``Engine.plan_gpu``), and
``fastssl._C_cuda.render_jobs`` renders them all with a few batch-wide kernels,
straight into the batch's float32 (N, 3, H, W) tensors on the GPU.

The crops, flips and every other draw are those of the C++ engine for the same
seed, and the kernels compute the engine's bytes from the same pixels; only
the decoder differs (nvJPEG's IDCT and chroma upsampling are not libjpeg-turbo's,
and the engine decodes DCT-scaled where it can), so views differ by a few
levels where JPEG decoding does.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch

from fastssl import _ext
from fastssl._ext import cpp_extension, cuda_extension, pillow_resize_pass_order, require
from fastssl.data._image_loaders import file_name, pil_loader
from fastssl.data.backends.cpp import ON_ERROR, RenderedBatch, engine_views, report_failures
from fastssl.errors import ImageDecodeError
from fastssl.gpu import with_device_index
from fastssl.jpeg import DEFAULT_MAX_PIXELS
from fastssl.transforms.spec import MultiViewSpec

_JPEG_START = b"\xff\xd8\xff"
_JPEG_END = b"\xff\xd9"
_NVJPEG_COLORSPACES = ("gray", "ycbcr", "rgb")


def cuda_unavailable() -> Optional[str]:
    """Why the CUDA backend cannot run here, or None when it can."""
    if not _ext.cuda_extension().available:
        return f"fastssl._C_cuda is unavailable ({_ext.cuda_extension().detail})"
    if not _ext.gpu().available:
        return f"no CUDA GPU ({_ext.gpu().detail})"
    kernels = _ext.optional_module("fastssl._C_cuda")
    engine = _ext.optional_module("fastssl._C")
    if engine is None or kernels.GPU_JOB_BYTES != engine.GPU_JOB_BYTES:
        return "fastssl._C and fastssl._C_cuda come from different builds (reinstall fastssl)"
    return None


def planning_engine(spec: MultiViewSpec, paths: Sequence[str], seed: int) -> Any:
    """A ``fastssl._C.Engine`` that only plans GPU batches (draws parameters): one thread, no decoding."""
    return require("fastssl._C", cpp_extension).Engine(
        engine_views(spec), list(paths), seed=seed, num_threads=1, output="float32", dct_scaling=False,
        max_pixels=DEFAULT_MAX_PIXELS, resample_order=pillow_resize_pass_order())


def run_plan(plan: Any, device: torch.device) -> None:
    """Runs a batch's plan (``fastssl._C.Engine.plan_gpu``) on the current stream of ``device``."""
    kernels = require("fastssl._C_cuda", cuda_extension)
    device = with_device_index(device)
    schedule = plan.schedule
    with torch.cuda.device(device):
        # Buffers come from torch's stream-ordered caching allocator: freeing them
        # after the launch is safe, later work on this stream runs after the kernels.
        jobs = _to_gpu(torch.from_numpy(plan.jobs), device)
        temp = torch.empty(max(plan.temp_bytes, 1), dtype=torch.uint8, device=device)
        work = torch.empty((2, max(plan.work_bytes, 1)), dtype=torch.uint8, device=device)
        luma = torch.empty(max(schedule["num_jobs"], 1) * kernels.GPU_MAX_STAGES, dtype=torch.int64, device=device)
        kernels.render_jobs(jobs.data_ptr(), jobs.numel(), schedule, temp.data_ptr(), work[0].data_ptr(),
                            work[1].data_ptr(), luma.data_ptr(), device.index,
                            torch.cuda.current_stream(device).cuda_stream)


def _to_gpu(host: torch.Tensor, device: torch.device) -> torch.Tensor:
    """An asynchronous copy through pinned memory (a pageable copy would wait for the whole stream)."""
    if device.type != "cuda":
        return host.to(device)
    return host.pin_memory().to(device, non_blocking=True)


class CudaRenderer:
    """Renders batches of a spec's views on a GPU.

    Args:
        spec: The views to render.
        paths: The image files; sample ``i`` is ``paths[i]`` and keys its randomness.
        root: Folder the paths are relative to in error messages.
        device: The CUDA device to decode and render on.
        seed: Seed of the counter-based randomness (the C++ engine's draws).
        num_threads: Threads reading files and decoding what nvJPEG cannot.
        on_error: "raise" an ImageDecodeError naming the file, or "skip" it with a warning.

    Example:
        >>> renderer = CudaRenderer(SimCLRTransform().spec, paths, root, device=torch.device("cuda"))
        >>> batch = renderer.render(samples=[0, 1, 2], epoch=0)
        >>> [v.device.type for v in batch.views]
        ['cuda', 'cuda']
    """

    def __init__(self, spec: MultiViewSpec, paths: Sequence[str], root: Optional[str], *, device: torch.device,
                 seed: int = 0, num_threads: int = 1, on_error: str = "raise"):
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")
        reason = cuda_unavailable()
        if reason:
            raise RuntimeError(f"the CUDA backend cannot run: {reason}")
        # torchvision 0.29 deprecates its decoders for TorchCodec; decode_jpeg still works.
        warnings.filterwarnings("ignore", message="The image decoding and encoding capabilities of TorchVision",
                                category=DeprecationWarning)
        self._native = require("fastssl._C", cpp_extension)
        views = engine_views(spec)
        self.paths = list(paths)
        self.root = root
        self.device = with_device_index(torch.device(device))
        self.on_error = on_error
        self.shapes = [(3, view["height"], view["width"]) for view in views]
        self._stream: Optional[torch.cuda.Stream] = None
        self._io = ThreadPoolExecutor(max_workers=num_threads, thread_name_prefix="fastssl-cuda-io")
        self._engine = planning_engine(spec, self.paths, seed)

    def render(self, samples: Sequence[int], epoch: int,
               decoded: Optional[List[Optional[np.ndarray]]] = None) -> RenderedBatch:
        """Renders every view of ``samples`` for ``epoch`` on the GPU.

        ``decoded`` optionally holds the samples' pixels, decoded elsewhere (video
        frames: RGB uint8 (H, W, 3) arrays); None entries are read from their files.
        """
        if self.device.type != "cuda":
            return self._render(np.asarray(samples, dtype=np.int64), epoch, decoded)
        # A stream of its own: waiting for the batch below does not wait for the training step.
        if self._stream is None:
            self._stream = torch.cuda.Stream(self.device)
        with torch.cuda.device(self.device), torch.cuda.stream(self._stream):
            batch = self._render(np.asarray(samples, dtype=np.int64), epoch, decoded)
        # Finished before it is handed over: the consumer may use another thread and stream
        # (FastLoader records the views on the consumer's stream).
        self._stream.synchronize()
        return batch

    def _render(self, samples: np.ndarray, epoch: int, decoded: Optional[List[Optional[np.ndarray]]]) -> RenderedBatch:
        failed: Dict[int, ImageDecodeError] = {}
        images = self._decode(samples, decoded, failed)
        kept = [pos for pos in range(len(samples)) if pos not in failed]
        if failed:
            report_failures(failed, self.on_error, stacklevel=2)
        views = [torch.empty((len(kept), *shape), dtype=torch.float32, device=self.device) for shape in self.shapes]
        if kept:
            sources = [images[pos] for pos in kept]
            self._execute(self._engine.plan_gpu(
                samples[kept], np.arange(len(kept)), [image.shape[1] for image in sources],
                [image.shape[2] for image in sources], np.array([image.data_ptr() for image in sources], np.uint64),
                epoch, [view.data_ptr() for view in views]))
        return RenderedBatch(views, kept)

    def params(self, sample: int, epoch: int, view: int, height: int, width: int) -> Dict:
        """The random parameters of a view (those of the C++ engine for the same seed)."""
        return self._engine.params(sample, epoch, view, height, width)

    def _execute(self, plan: Any) -> None:
        run_plan(plan, self.device)

    # -- decoding ----------------------------------------------------------------------

    def _decode(self, samples: np.ndarray, decoded: Optional[List[Optional[np.ndarray]]],
                failed: Dict[int, ImageDecodeError]) -> Dict[int, torch.Tensor]:
        """Planar (3, H, W) uint8 images on the GPU, by position; failures go to ``failed``."""
        decoded = decoded if decoded is not None else [None] * len(samples)
        images = {pos: self._upload(pixels) for pos, pixels in enumerate(decoded) if pixels is not None}
        from_files = [pos for pos, pixels in enumerate(decoded) if pixels is None]
        contents = dict(zip(from_files, self._io.map(lambda pos: self._read(samples[pos]), from_files)))
        on_gpu = [pos for pos in from_files if not isinstance(contents[pos], ImageDecodeError)
                  and self._nvjpeg_can_decode(contents[pos])]
        images.update(self._nvjpeg(on_gpu, contents))
        on_cpu = [pos for pos in from_files if pos not in images]
        for pos, result in zip(on_cpu, self._io.map(lambda pos: self._decode_on_cpu(samples[pos], contents[pos]),
                                                    on_cpu)):
            if isinstance(result, ImageDecodeError):
                failed[pos] = result
            else:
                images[pos] = self._upload(result)
        return images

    def _read(self, sample: int) -> Union[bytearray, ImageDecodeError]:
        """The file's bytes, writable so that torch.frombuffer can hand them to nvJPEG without a copy."""
        try:
            with open(self.paths[sample], "rb") as file:
                data = bytearray(os.fstat(file.fileno()).st_size)
                del data[file.readinto(data):]
                return data
        except OSError as error:
            return ImageDecodeError(file_name(self.paths[sample], self.root),
                                    f"cannot read file ({error.strerror or error})")

    def _nvjpeg_can_decode(self, data: bytearray) -> bool:
        """A complete baseline or progressive JPEG in a color space nvJPEG converts like libjpeg.

        A file that does not end with the end-of-image marker may be truncated, and
        nvJPEG fills missing blocks silently; libjpeg-turbo on the CPU says so.
        """
        if not data.startswith(_JPEG_START) or not data.rstrip(b"\0").endswith(_JPEG_END):
            return False
        try:
            header = self._native.jpeg_header(data, max_pixels=DEFAULT_MAX_PIXELS)
        except ValueError:
            return False  # the CPU decode names the reason
        return header["colorspace"] in _NVJPEG_COLORSPACES

    def _nvjpeg(self, positions: List[int], contents: Dict[int, bytearray]) -> Dict[int, torch.Tensor]:
        """Decodes on the GPU in one batch; files nvJPEG rejects are left for the CPU."""
        from torchvision.io import ImageReadMode, decode_jpeg

        if not positions:
            return {}
        encoded = [torch.frombuffer(contents[pos], dtype=torch.uint8) for pos in positions]
        try:
            images = decode_jpeg(encoded, mode=ImageReadMode.RGB, device=self.device)
            return {pos: image.contiguous() for pos, image in zip(positions, images)}
        except RuntimeError:  # one bad file fails the batch: find it one by one
            out = {}
            for pos, data in zip(positions, encoded):
                try:
                    out[pos] = decode_jpeg(data, mode=ImageReadMode.RGB, device=self.device).contiguous()
                except RuntimeError:
                    continue
            return out

    def _decode_on_cpu(self, sample: int, content: Union[bytearray, ImageDecodeError]) -> Union[np.ndarray, ImageDecodeError]:
        if isinstance(content, ImageDecodeError):
            return content
        if content.startswith(_JPEG_START):
            try:
                return self._native.decode_jpeg(content, max_pixels=DEFAULT_MAX_PIXELS)
            except self._native.DecodeError as error:
                return ImageDecodeError(file_name(self.paths[sample], self.root), str(error))
        try:
            return np.asarray(pil_loader(self.paths[sample], self.root, data=content))
        except ImageDecodeError as error:
            return error

    def _upload(self, pixels: np.ndarray) -> torch.Tensor:
        """An (H, W, 3) uint8 array as a planar (3, H, W) tensor on the GPU."""
        if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3 or 0 in pixels.shape:
            raise ValueError(f"decoded images must be (H, W, 3) uint8 arrays, got {pixels.dtype} {pixels.shape}")
        hwc = _to_gpu(torch.from_numpy(np.require(pixels, requirements=["C", "W"])), self.device)
        return hwc.permute(2, 0, 1).contiguous()
