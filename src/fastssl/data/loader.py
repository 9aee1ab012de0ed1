"""FastLoader: iterate a LightlyDataset like a DataLoader, with the C++ engine inside.

A training loop written for ``DataLoader(LightlyDataset(..., transform=preset))``
keeps working: batches have the same structure, ``(views, targets, filenames)``.
When the dataset's transform (or the collate function) is a fastssl preset or
spec, the engine decodes each image once and renders every view with threads;
anything else (a torchvision Compose, a lambda, a video dataset) runs on the
reference path, a torch DataLoader, after one warning that says why.

Randomness is counter-based: the augmentation of view v of sample i in epoch e
depends only on (seed, e, i, v). Each new iteration starts the next epoch;
``set_epoch(e)`` picks the epoch of the next iteration (as with a
DistributedSampler). ``state_dict()`` / ``load_state_dict()`` record and restore
the position inside an epoch, so that a resumed training run continues with the
batch it would have loaded next.
"""

from __future__ import annotations

import gc
import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
import warnings
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset, default_collate

from fastssl import _ext
from fastssl._ext import cpp_extension
from fastssl.data.backends.cpp import ON_ERROR, CppRenderer, UnsupportedSpec, engine_views
from fastssl.data.backends.cuda import CudaRenderer, cuda_unavailable
from fastssl.data.backends.dali import DaliRenderer, DaliVideoRenderer, check_dali_spec
from fastssl.data.collate import BaseCollateFunction
from fastssl.data.dataset import LightlyDataset
from fastssl.data.multi_view_collate import MultiViewCollate
from fastssl.data.sampler import batches, resolve_rank, shard_indices
from fastssl.data.video_batches import clip_starts, read_frames, render_clips
from fastssl.data.video_readers import VideoError
from fastssl.errors import ImageDecodeError
from fastssl.transforms.spec import MultiViewSpec, ViewSpec

BACKENDS = ("auto", "cpp", "cuda", "dali", "python")
_END = object()
_ALL_SKIPPED = object()  # a batch whose every file was skipped: counted, not yielded


class FastLoader:
    """Loads batches of augmented views from a LightlyDataset.

    Args:
        dataset: A ``fastssl.data.LightlyDataset`` (a folder of images, or anything
            the reference path can load).
        batch_size: Samples per batch.
        shuffle: Shuffle the samples every epoch.
        drop_last: Drop the last incomplete batch.
        num_threads: Engine threads (reference path: DataLoader workers); default: all cores.
        backend: "auto" (DALI for a CUDA ``device`` when it is installed, else the C++
            engine, when they can run the transform; else the reference path), "cpp"
            (the engine, or an error saying why not), "dali" (a DALI pipeline: on the
            GPU for a CUDA ``device``, else in DALI's CPU mode; its augmentations come
            from DALI's generator, seeded per epoch, not from the counter-based one),
            "cuda" (needs a CUDA ``device``: nvJPEG decoding and fastssl's CUDA kernels,
            with the engine's draws; chosen only on request until it has been measured
            on GPUs) or "python".
        device: Where batches go ("cuda" copies asynchronously from pinned memory
            and normalizes on the GPU); None keeps them on the CPU.
        seed: Seed of the shuffling and of the augmentations.
        prefetch: Batches rendered ahead of the training loop.
        on_error: "raise" an ImageDecodeError naming a bad file, or "skip" it with a warning.
        rank, world_size: The shard to load, as DistributedSampler; default from torch.distributed.
        collate_fn: The older Lightly API (e.g. ``SimCLRCollateFunction()``) for a
            dataset without a transform; batches then have that function's structure.
        frames_per_chunk: For a folder of videos: shuffle runs of this many
            consecutive frames (not single frames), so that each batch's frames
            are decoded with one pass over a few groups of pictures. Every frame
            is still loaded once per epoch; 1 shuffles single frames. Default:
            batch_size // 8, so that a batch mixes about 8 runs (contrastive
            losses need negatives from other scenes).
        clip_length, clip_stride: For a folder of videos: with ``clip_length`` T > 1,
            a sample is a clip of T frames taken every ``clip_stride`` frames, and
            each view is a (B, T, C, H, W) tensor whose T frames share one crop and
            one draw of every random op. Clips are consecutive, non-overlapping
            windows of T x stride frames of one video; a video's last incomplete
            window is left out. Targets are the video index, file names those of
            each clip's first frame.

    Example:
        >>> dataset = LightlyDataset("path/to/images", transform=SimCLRTransform())
        >>> loader = FastLoader(dataset, batch_size=256, shuffle=True)
        >>> for (x0, x1), targets, filenames in loader:
        ...     loss = criterion(model(x0), model(x1))
    """

    def __init__(self, dataset: Any, batch_size: int, shuffle: bool = False, drop_last: bool = False,
                 num_threads: Optional[int] = None, backend: str = "auto", device: Any = None, seed: int = 0,
                 prefetch: int = 2, on_error: str = "raise", rank: Optional[int] = None,
                 world_size: Optional[int] = None, collate_fn: Optional[Callable[[Any], Any]] = None,
                 frames_per_chunk: Optional[int] = None, clip_length: int = 1, clip_stride: int = 1):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if num_threads is not None and (not isinstance(num_threads, int) or num_threads < 1):
            raise ValueError(f"num_threads must be a positive int or None, got {num_threads!r}")
        if not isinstance(prefetch, int) or prefetch < 1:
            raise ValueError(f"prefetch must be a positive int, got {prefetch!r}")
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")
        if frames_per_chunk is None:
            frames_per_chunk = max(1, batch_size // 8)
        for name, value in (("frames_per_chunk", frames_per_chunk), ("clip_length", clip_length),
                            ("clip_stride", clip_stride)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.dataset = dataset
        # A torch Subset (e.g. from random_split) of a LightlyDataset: the engine loads
        # the parent's files, position i of the subset being parent sample indices[i].
        self._parent, self._indices = _parent_and_indices(dataset)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.num_threads = num_threads or _available_cores()
        self.device = torch.device(device) if device is not None else None
        self._on_gpu = self.device is not None and self.device.type == "cuda"
        self.seed = seed
        self.prefetch = prefetch
        self.on_error = on_error
        self.collate_fn = collate_fn
        self.frames_per_chunk = frames_per_chunk
        self.clip_length, self.clip_stride = clip_length, clip_stride
        self.rank, self.world_size = resolve_rank(rank, world_size)
        self._next_epoch = 0
        self._start_batch = 0  # of the next iteration (load_state_dict resumes mid-epoch)
        self._position = {"epoch": 0, "batch": 0}
        spec = self._spec()
        self.backend = self._choose_backend(backend, spec)
        self._spec_value = spec
        self._clip_starts = self._find_clips() if clip_length > 1 else None
        self._renderer: Optional[Any] = None
        self._decoders: Optional[ThreadPoolExecutor] = None
        self._normalization: Optional[List[Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]]] = None

    # -- what to run -------------------------------------------------------------------

    def _augmentation(self) -> Any:
        """What augments: an augmenting collate function (the older API), else the dataset's transform."""
        if getattr(self.collate_fn, "spec", None) is not None:
            return self.collate_fn
        return getattr(self._parent, "transform", None)

    def _spec(self) -> Any:
        return getattr(self._augmentation(), "spec", None)

    def _choose_backend(self, backend: str, spec: Any) -> str:
        if backend == "python":
            return "python"
        if backend == "cuda":
            reason = self._cuda_unavailable(spec)
            if reason:
                raise ValueError(f"backend='cuda' cannot load this dataset: {reason}")
            return "cuda"
        # "auto" sends image folders to DALI on a GPU; videos only on request (codecs, on_error, resume differ).
        if backend == "dali" or (backend == "auto" and self._on_gpu and _ext.dali().available and not self._is_video()):
            reason = self._dali_unavailable(spec)
            if not reason:
                return "dali"
            if backend == "dali":
                raise ValueError(f"backend='dali' cannot load this dataset: {reason}")
        reason = self._engine_unavailable(spec)
        if backend == "cpp" and reason:
            raise ValueError(f"backend='cpp' cannot load this dataset: {reason}")
        if reason:
            warnings.warn(f"FastLoader: {reason}; using the reference path (torchvision in DataLoader workers), "
                          "which is much slower", UserWarning, stacklevel=3)
            return "python"
        return "cpp"

    def _dali_unavailable(self, spec: Any) -> Optional[str]:
        """Why a DALI pipeline cannot run this dataset and transform, or None when it can."""
        if not _ext.dali().available:
            return f"NVIDIA DALI is unavailable ({_ext.dali().detail})"
        if self.collate_fn is not None:
            return "the DALI backend does not run collate functions"
        if self._is_video() and (self.clip_length > 1 or self._indices is not None):
            return "DALI's video reader reads every frame of the whole folder: no clips, no Subset"
        return self._folder_and_spec_problem(spec, check_dali_spec)

    def _cuda_unavailable(self, spec: Any) -> Optional[str]:
        """Why the CUDA backend cannot run this dataset and transform, or None when it can."""
        if not self._on_gpu:
            return f"it renders on a CUDA device, and device is {self.device}"
        return cuda_unavailable() or self._engine_unavailable(spec)  # the engine plans its batches

    def _engine_unavailable(self, spec: Any) -> Optional[str]:
        """Why the engine cannot run this dataset and transform, or None when it can."""
        if not cpp_extension().available:
            return f"the C++ engine is unavailable ({cpp_extension().detail})"
        augmenting_collate = getattr(self.collate_fn, "spec", None) is not None
        if augmenting_collate and getattr(self._parent, "transform", None) is not None:
            return "a collate function that augments needs a dataset without a transform"
        if self.collate_fn is not None and not augmenting_collate and not isinstance(self.collate_fn, MultiViewCollate):
            return f"the collate function {type(self.collate_fn).__name__} is not a fastssl one"
        return self._folder_and_spec_problem(spec, engine_views)

    def _folder_and_spec_problem(self, spec: Any, check_spec: Callable[[MultiViewSpec], Any]) -> Optional[str]:
        """Why the dataset is not an image folder with a fastssl spec that ``check_spec`` accepts
        (it raises UnsupportedSpec otherwise), or None when it is."""
        if not isinstance(spec, (MultiViewSpec, ViewSpec)):
            return f"the transform {type(self._augmentation()).__name__} is not a fastssl preset or spec"
        if not isinstance(self._parent, LightlyDataset):
            return f"{type(self._parent).__name__} is not a LightlyDataset"
        inner = self._parent.dataset
        if getattr(inner, "samples", None) is None and not self._is_video():
            return f"{type(inner).__name__} is not a folder of image files or videos"
        try:
            check_spec(_as_multi_view(spec))
        except UnsupportedSpec as error:
            return str(error)
        return None

    def _find_clips(self) -> np.ndarray:
        """Dataset indices of the first frame of every clip (see clip_length)."""
        if not self._is_video() or self._indices is not None:
            raise ValueError("clip_length > 1 needs a LightlyDataset of a video folder (not a Subset)")
        if self.backend != "cpp":
            raise ValueError(f"clips are rendered by the C++ engine, not by the {self.backend!r} backend")
        return clip_starts(self._parent.dataset, self.clip_length, self.clip_stride)

    def _num_samples(self) -> int:
        return len(self.dataset) if self._clip_starts is None else len(self._clip_starts)

    def _is_video(self) -> bool:
        """A LightlyDataset of a video folder (its frames are read in groups, then augmented)."""
        return isinstance(self._parent, LightlyDataset) and hasattr(self._parent.dataset, "read_frames")

    # -- epochs and batches ------------------------------------------------------------

    def set_epoch(self, epoch: int) -> None:
        """Makes the next iteration load epoch ``epoch`` (shuffle order and augmentations)."""
        if not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"epoch must be a non-negative int, got {epoch!r}")
        self._next_epoch = epoch
        self._start_batch = 0
        self._position = {"epoch": epoch, "batch": 0}

    def state_dict(self) -> dict:
        """Where loading stands: the epoch and how many of its batches were handed out."""
        return dict(self._position)

    def load_state_dict(self, state: dict) -> None:
        """Makes the next iteration continue from ``state`` (from :meth:`state_dict`)."""
        epoch, batch = state.get("epoch"), state.get("batch")
        if not isinstance(batch, int) or batch < 0:
            raise ValueError(f"state['batch'] must be a non-negative int, got {batch!r}")
        self.set_epoch(epoch)
        self._start_batch = batch
        self._position = {"epoch": epoch, "batch": batch}

    def _epoch_batches(self, epoch: int) -> List[np.ndarray]:
        chunk = self.frames_per_chunk if self._is_video() and self._clip_starts is None else 1
        indices = shard_indices(self._num_samples(), shuffle=self.shuffle, seed=self.seed, epoch=epoch,
                                rank=self.rank, world_size=self.world_size, chunk=chunk)
        return batches(indices, self.batch_size, self.drop_last, self._num_samples(), self.world_size)

    def __len__(self) -> int:
        if self._dali_video():
            return self._engine().batches
        shard = np.arange(len(range(self.rank, self._num_samples(), self.world_size)))
        return len(batches(shard, self.batch_size, self.drop_last, self._num_samples(), self.world_size))

    def __iter__(self) -> Iterator[Any]:
        epoch, start = self._next_epoch, self._start_batch
        self._next_epoch, self._start_batch = epoch + 1, 0
        if self._dali_video():
            return self._track(self._iter_engine(self._dali_video_batches(start)), epoch, start)
        epoch_batches = self._epoch_batches(epoch)
        if self.backend == "python":
            return self._track(self._iter_reference(epoch_batches[start:]), epoch, start)
        rendered = (self._render(batch, epoch) for batch in epoch_batches[start:])
        return self._track(self._iter_engine(rendered), epoch, start)

    def _video_pool(self) -> ThreadPoolExecutor:
        """Threads that decode a batch's videos in parallel (video decoders release the GIL)."""
        if self._decoders is None:
            self._decoders = ThreadPoolExecutor(max_workers=self.num_threads, thread_name_prefix="fastssl-video")
        return self._decoders

    def _close_video_pool(self) -> None:
        """Ends the decoding threads after an epoch: their readers (decoder threads included)
        go with them, so a later fork (DataLoader workers) copies no live decoder."""
        if self._decoders is not None:
            self._decoders.shutdown(wait=True)
            self._decoders = None

    def _dali_video(self) -> bool:
        return self.backend == "dali" and self._is_video()

    def _dali_video_batches(self, start: int) -> Iterator[Tuple[List[torch.Tensor], torch.Tensor, List[str]]]:
        """DALI's video reader's epoch as (views, targets, filenames); resuming reads and drops ``start`` batches."""
        offsets = self._parent.dataset.offsets
        for index, (views, videos, numbers) in enumerate(self._engine().epoch()):
            if index < start:
                continue
            frames = [offsets[video] + number for video, number in zip(videos.tolist(), numbers.tolist())]
            yield views, torch.as_tensor(videos, dtype=torch.long), [self._filenames[i] for i in frames]

    def _track(self, batches_iter: Iterator[Any], epoch: int, start: int) -> Iterator[Any]:
        """Yields the batches, recording the position before each one is handed out."""
        self._position = {"epoch": epoch, "batch": start}
        try:
            for position, batch in enumerate(batches_iter, start + 1):
                self._position = {"epoch": epoch, "batch": position}
                if batch is not _ALL_SKIPPED:
                    yield batch
        finally:
            batches_iter.close()  # type: ignore[attr-defined]  # stops the engine's thread now
        self._position = {"epoch": epoch + 1, "batch": 0}

    # -- the engine --------------------------------------------------------------------

    def _engine(self) -> Any:
        """The batch renderer of the chosen backend (Cpp-, Cuda- or DaliRenderer), built once."""
        if self._renderer is None:
            inner = self._parent.dataset
            self._filenames = self._parent.get_filenames()
            if self._is_video():  # frames come decoded; their names only label errors
                paths, targets = list(self._filenames), inner.frame_targets()
            else:
                paths, targets = [path for path, _ in inner.samples], [label for _, label in inner.samples]
            self._targets = torch.as_tensor(targets, dtype=torch.long)
            spec, root = _as_multi_view(self._spec_value), getattr(inner, "root", None)
            if self._dali_video():
                self._renderer = DaliVideoRenderer(
                    spec, inner.videos, batch_size=self.batch_size, shuffle=self.shuffle, drop_last=self.drop_last,
                    seed=self.seed, rank=self.rank, world_size=self.world_size, num_threads=self.num_threads,
                    device=self.device if self._on_gpu else None)
                if self._renderer.epoch_size != len(inner):
                    raise ValueError(f"DALI's video reader counts {self._renderer.epoch_size} frames in '{inner.root}', "
                                     f"fastssl's index {len(inner)}: frame names would not match; use backend='cpp'")
            elif self.backend == "cuda":
                self._renderer = CudaRenderer(spec, paths, root, device=self.device, seed=self.seed,
                                              num_threads=self.num_threads, on_error=self.on_error)
            elif self.backend == "dali":
                self._renderer = DaliRenderer(spec, paths, root, batch_size=self.batch_size, seed=self.seed,
                                              rank=self.rank, num_threads=self.num_threads,
                                              device=self.device if self._on_gpu else None, on_error=self.on_error)
            else:
                self._renderer = CppRenderer(
                    spec, paths, root, seed=self.seed, num_threads=self.num_threads,
                    output="uint8" if self._on_gpu else "float32", on_error=self.on_error, pin_memory=self._on_gpu)
        return self._renderer

    def _render(self, batch: np.ndarray, epoch: int) -> Tuple[List[torch.Tensor], torch.Tensor, List[str]]:
        if self._indices is not None:
            batch = self._indices[batch]
        if self._clip_starts is not None:
            views, starts = render_clips(self._engine(), self._parent.dataset, self._clip_starts[batch],
                                         self.clip_length, self.clip_stride, epoch, self.on_error,
                                         self._video_pool())
            return views, self._targets[torch.as_tensor(starts)], [self._filenames[i] for i in starts]
        if self._is_video():
            batch, frames = read_frames(self._parent.dataset, batch, self.on_error, self._video_pool())
            rendered = self._engine().render(batch, epoch, decoded=frames)
        else:
            rendered = self._engine().render(batch, epoch)
        kept = batch[rendered.kept]
        return rendered.views, self._targets[torch.as_tensor(kept)], [self._filenames[i] for i in kept]

    def _iter_engine(self, rendered: Iterator[Tuple[List[torch.Tensor], torch.Tensor, List[str]]]) -> Iterator[Any]:
        """Takes ``rendered`` batches on a background thread (the engine and DALI release the GIL),
        ``prefetch`` ahead."""
        self._engine()  # build it in this thread so that errors surface here
        ready: "queue.Queue[Any]" = queue.Queue(maxsize=self.prefetch)
        stop = threading.Event()

        def put(item: Any) -> None:
            while not stop.is_set():
                try:
                    ready.put(item, timeout=0.05)
                    return
                except queue.Full:
                    continue

        def produce() -> None:
            try:
                for item in rendered:
                    if stop.is_set():
                        return
                    put(item)
                put(_END)
            except BaseException as error:  # handed to the consumer, raised there
                put(error)

        worker = threading.Thread(target=produce, name="fastssl-loader", daemon=True)
        worker.start()
        try:
            while True:
                item = ready.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                views, targets, filenames = item
                if not filenames:
                    yield _ALL_SKIPPED
                    continue
                yield self._structure(self._to_device(views), targets, filenames)
        finally:
            stop.set()
            worker.join()
            self._close_video_pool()

    def _to_device(self, views: List[torch.Tensor]) -> List[torch.Tensor]:
        if self.backend == "cuda":
            stream = torch.cuda.current_stream(self.device)
            for view in views:  # rendered on the loader thread's stream, freed after use on this one
                view.record_stream(stream)
            return views
        if not self._on_gpu or self.backend == "dali":
            return views  # on the CPU, or already normalized on the GPU by DALI
        if self._normalization is None:  # built once: a host-to-device copy per batch would stall the stream
            self._normalization = [_normalization_on(spec, self.device) for spec in _as_multi_view(self._spec_value).views]
        out = []
        for view, (mean, std) in zip(views, self._normalization):
            # uint8 -> [0, 1] -> normalized, in the order torchvision computes it
            scaled = view.to(self.device, non_blocking=True).to(torch.float32).mul_(1.0 / 255)
            out.append(scaled if mean is None else scaled.sub_(mean).div_(std))
        return out

    def _structure(self, views: List[torch.Tensor], targets: torch.Tensor, filenames: List[str]) -> Any:
        """The batch as the reference path would collate it."""
        if isinstance(self._spec_value, ViewSpec):
            return views[0], targets, filenames
        if isinstance(self.collate_fn, BaseCollateFunction):
            return tuple(views), targets, filenames
        return views, targets, filenames

    # -- the reference path ------------------------------------------------------------

    def _iter_reference(self, epoch_batches: List[np.ndarray]) -> Iterator[Any]:
        dataset: Dataset = self.dataset
        collate = self.collate_fn
        if self.on_error == "skip":
            dataset, collate = _SkipBadFiles(dataset), _CollateKept(collate)
        loader = DataLoader(dataset, batch_sampler=[b.tolist() for b in epoch_batches], collate_fn=collate,
                            num_workers=self.num_threads, pin_memory=self.device is not None)
        if self.num_threads > 0:
            # Workers are forked: garbage cycles left here would be finalized in them, and a
            # native object in one (a DALI pipeline, a decord reader) then tears down threads
            # that exist only in this process, and crashes the worker.
            gc.collect()
        for batch in loader:
            if self.on_error == "skip":
                batch, skipped = batch
                for message in skipped:
                    warnings.warn(f"skipping {message}", RuntimeWarning, stacklevel=2)
                if batch is None:
                    yield _ALL_SKIPPED
                    continue
            if self.device is not None:
                batch = _move(batch, self.device)
            yield batch


def _available_cores() -> int:
    """Cores this process may run on (the affinity mask where the OS has one)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)


def _parent_and_indices(dataset: Any) -> Tuple[Any, Optional[np.ndarray]]:
    """(the dataset, None), or for a Subset (of a Subset...) its root dataset and sample indices."""
    indices: Optional[np.ndarray] = None
    while isinstance(dataset, Subset):
        subset = np.asarray(dataset.indices, dtype=np.int64)
        indices = subset if indices is None else subset[indices]
        dataset = dataset.dataset
    return dataset, indices


def _as_multi_view(spec: Any) -> MultiViewSpec:
    return spec if isinstance(spec, MultiViewSpec) else MultiViewSpec(views=(spec,))


def _normalization_on(spec: ViewSpec, device: torch.device) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
    """A view's (mean, std) as (3, 1, 1) float32 tensors on ``device``, or (None, None)."""
    if spec.normalize is None:
        return None, None
    mean = torch.tensor(spec.normalize.mean, dtype=torch.float32, device=device).view(-1, 1, 1)
    std = torch.tensor(spec.normalize.std, dtype=torch.float32, device=device).view(-1, 1, 1)
    return mean, std


def _move(batch: Any, device: torch.device) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (list, tuple)):
        return type(batch)(_move(item, device) for item in batch)
    return batch


class _Skipped:
    """Stands in for a sample whose file could not be decoded (on_error="skip")."""

    def __init__(self, message: str):
        self.message = message


class _SkipBadFiles(Dataset):
    """The reference path's on_error="skip": a bad file becomes a _Skipped marker.

    Markers travel back with the batch so that the warning is raised in the main
    process (warnings raised in DataLoader worker processes would be lost).
    """

    def __init__(self, dataset: Any):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Any:
        try:
            return self.dataset[index]
        except (ImageDecodeError, VideoError) as error:
            return _Skipped(str(error))


class _CollateKept:
    """Collates the samples that loaded; returns (batch or None, messages of the skipped ones)."""

    def __init__(self, collate: Optional[Callable[[Sequence[Any]], Any]]):
        self.collate = collate or default_collate

    def __call__(self, batch: Sequence[Any]) -> Tuple[Any, List[str]]:
        kept = [item for item in batch if not isinstance(item, _Skipped)]
        skipped = [item.message for item in batch if isinstance(item, _Skipped)]
        return (self.collate(kept) if kept else None), skipped
