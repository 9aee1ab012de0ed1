"""A dataset of every frame of every video under a folder, as Lightly's VideoDataset.

Frames are counted once at construction (without decoding, see
``video_readers``) and read on demand, with decord when installed, else PyAV.
"""

from __future__ import annotations

import bisect
import itertools
import os
import threading
import warnings
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image
from torchvision import datasets
from tqdm import tqdm

from fastssl.data.video_index import FrameCountCache
from fastssl.data.video_readers import (
    EmptyVideoError,
    NonIncreasingTimestampError,
    UnseekableTimestampError,
    VideoError,
    select_backend,
)

__all__ = [
    "VideoDataset",
    "VideoError",
    "EmptyVideoError",
    "NonIncreasingTimestampError",
    "UnseekableTimestampError",
]


class VideoDataset(datasets.VisionDataset):
    """Every frame of every video under ``root``; the target is the video index.

    Videos are found recursively, in ``os.walk`` order (as Lightly lists them),
    and frame ``i`` of a video is its i-th frame in presentation order.

    Args:
        root: Root directory path.
        extensions: Allowed video file extensions (lower case, with the dot).
        transform: Function applied to each frame (an RGB PIL image).
        target_transform: Function applied to each target.
        is_valid_file: Extra filter on the file path.
        exception_on_non_increasing_timestamp: If True, reading a frame whose
            timestamp equals the one of an earlier frame raises a
            NonIncreasingTimestampError.
        tqdm_args: Arguments for the tqdm bar shown while counting frames.
        num_workers: Number of threads counting frames (0: count in this thread).
        index_cache: Remember frame counts across runs (see ``video_index``);
            a video whose size or modification time changed is counted again.
        on_error: "raise" a VideoError for a video that cannot be indexed, or
            "skip" it with a warning: it then has no frames and the others load.

    Raises:
        ValueError: ``num_workers`` is negative, or both ``extensions`` and
            ``is_valid_file`` are None.
        RuntimeError: No video under ``root`` passes the filters.
        VideoError: A video file cannot be read; the message names it.

    Example:
        >>> dataset = VideoDataset("path/to/videos", extensions=(".mp4",))
        >>> frame, video_index = dataset[0]
    """

    def __init__(
        self,
        root: str,
        extensions: Optional[Tuple[str, ...]] = None,
        transform: Optional[Callable[[Any], Any]] = None,
        target_transform: Optional[Callable[[Any], Any]] = None,
        is_valid_file: Optional[Callable[[str], bool]] = None,
        exception_on_non_increasing_timestamp: bool = True,
        tqdm_args: Optional[Dict[str, Any]] = None,
        num_workers: int = 0,
        index_cache: bool = True,
        on_error: str = "raise",
    ):
        if num_workers < 0:
            raise ValueError(f"num_workers must be >= 0 but is {num_workers}")
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.backend = select_backend()
        videos = _find_videos(self.root, extensions, is_valid_file)
        if len(videos) == 0:
            msg = f"Found 0 videos in folder: {self.root}\n"
            if extensions is not None:
                msg += "Supported extensions are: {}".format(",".join(extensions))
            raise RuntimeError(msg)
        cache = FrameCountCache(self.root, type(self.backend).__name__) if index_cache else None
        frame_counts = _count_frames(self.backend, self.root, videos, tqdm_args, num_workers, cache,
                                     skip_errors=on_error == "skip")

        self.extensions = extensions
        self.exception_on_non_increasing_timestamp = exception_on_non_increasing_timestamp
        self.videos = videos
        # offsets[i] is the index of the first frame of video i.
        starts = list(itertools.accumulate(frame_counts, initial=0))
        self.offsets = starts[:-1]
        self._length = starts[-1]
        self._readers = _ReaderCache()

    def __getitem__(self, index: int) -> Tuple[Any, int]:
        """Returns (frame, video index) of the frame at ``index``.

        Raises:
            IndexError: ``index`` is out of bounds.
            VideoError: The frame cannot be loaded.
        """
        video_index, frame_number = self._locate(index)
        allow_equal = not self.exception_on_non_increasing_timestamp
        array = self._read(video_index, lambda reader: reader.read(frame_number, allow_equal))
        sample = Image.fromarray(array)
        target = video_index
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self) -> int:
        """Returns the number of frames of all videos."""
        return self._length

    def read_frames(self, indices: Sequence[int], failed: Optional[Dict[int, str]] = None,
                    pool: Optional[Executor] = None) -> List[np.ndarray]:
        """The frames at dataset ``indices`` as RGB uint8 (H, W, 3) arrays, in the order asked.

        Frames are grouped by video and read in ascending order, so each group of
        pictures is decoded once however many of its frames are asked for (a
        per-frame reader seeks to the previous keyframe for every frame).

        Args:
            indices: Dataset indices of the frames.
            failed: If given, a video that cannot be read does not raise: the
                positions of its frames map to the error message here, and their
                entries in the result are None.
            pool: Threads that decode the videos' groups in parallel (each
                thread keeps its own reader); None decodes them in this thread.

        Raises:
            IndexError: An index is out of bounds.
            VideoError: A frame cannot be loaded; the message names the video.
        """
        by_video: Dict[int, List[Tuple[int, int]]] = {}
        for position, index in enumerate(indices):
            video_index, frame_number = self._locate(int(index))
            by_video.setdefault(video_index, []).append((frame_number, position))
        allow_equal = not self.exception_on_non_increasing_timestamp

        def decode(video_index: int) -> Any:
            numbers = sorted({number for number, _ in by_video[video_index]})
            try:
                return dict(zip(numbers, self._read(video_index, lambda r: r.read_many(numbers, allow_equal))))
            except VideoError as error:
                return error

        groups = list(by_video)
        results = list(pool.map(decode, groups)) if pool is not None and len(groups) > 1 else map(decode, groups)
        frames: List[Optional[np.ndarray]] = [None] * len(indices)
        for video_index, decoded in zip(groups, results):
            wanted = by_video[video_index]
            if isinstance(decoded, VideoError):
                if failed is None:
                    raise decoded
                failed.update((position, str(decoded)) for _, position in wanted)
                continue
            for number, position in wanted:
                frames[position] = decoded[number]
        return frames  # type: ignore[return-value]

    def _read(self, video_index: int, read: Callable[[Any], Any]) -> Any:
        """``read(reader)`` with this thread's reader of the video. A frame the index counted
        but the file does not hold (a truncated file, a header that lies) is a VideoError."""
        try:
            return read(self._reader(video_index))
        except IndexError as error:
            raise VideoError(f"{error} Its container promised {self._video_frame_count(video_index)}: the file "
                             "is truncated or its header is wrong") from error

    def frame_counts(self) -> List[int]:
        """The number of frames of every video."""
        return [self._video_frame_count(video_index) for video_index in range(len(self.videos))]

    def frame_targets(self) -> List[int]:
        """The target (video index) of every frame, in dataset order."""
        counts = [self._video_frame_count(video_index) for video_index in range(len(self.videos))]
        return np.repeat(np.arange(len(self.videos)), counts).tolist()

    def get_filename(self, index: int) -> str:
        """Filename of the frame at ``index``: ``{video}-{frame}-{format}.png``.

        The video name is relative to the root, without extension; the frame
        number is zero-padded to the width of the video's frame count, e.g.
        ``my_video-153-mp4.png``.
        """
        video_index, frame_number = self._locate(index)
        return self._format_filename(video_index, frame_number)

    def get_filenames(self) -> List[str]:
        """Returns the filenames of all frames, in dataset order."""
        return [
            self._format_filename(video_index, frame_number)
            for video_index in range(len(self.videos))
            for frame_number in range(self._video_frame_count(video_index))
        ]

    def _locate(self, index: int) -> Tuple[int, int]:
        """(video index, frame number) of the frame at dataset ``index``."""
        if index < 0 or index >= len(self):
            raise IndexError(f"Index {index} is out of bounds for VideoDataset of size {len(self)}.")
        # The last video starting at or before index (skips videos without frames).
        video_index = bisect.bisect_right(self.offsets, index) - 1
        return video_index, index - self.offsets[video_index]

    def _video_frame_count(self, video_index: int) -> int:
        end = self.offsets[video_index + 1] if video_index + 1 < len(self.offsets) else len(self)
        return end - self.offsets[video_index]

    def _format_filename(self, video_index: int, frame_number: int) -> str:
        video_name, video_format = _video_name_format(self.videos[video_index], self.root)
        padding = len(str(self._video_frame_count(video_index)))
        return f"{video_name}-{frame_number:0{padding}}-{video_format}.png"

    def _reader(self, video_index: int) -> Any:
        """The open reader of this thread and process for the video (one at a time)."""
        cache = self._readers
        if cache.pid != os.getpid():  # a forked DataLoader worker: never share a decoder
            # Freeing a decoder copied by fork() waits forever for the decoding
            # threads of the parent, which do not exist here: keep it unfreed.
            if cache.reader is not None:
                _READERS_FROM_PARENT.append(cache.reader)
            cache.reset()
        if cache.video_index != video_index:
            if cache.reader is not None:
                cache.reader.close()
            path = self.videos[video_index]
            cache.reader = self.backend.open(path, os.path.relpath(path, self.root))
            cache.video_index = video_index
        return cache.reader

    def __getstate__(self) -> Dict[str, Any]:
        state = self.__dict__.copy()
        del state["_readers"]  # open decoders cannot be pickled (spawned workers)
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._readers = _ReaderCache()


_READERS_FROM_PARENT: List[Any] = []


class _ReaderCache(threading.local):
    """The open video reader of one thread in one process."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.pid = os.getpid()
        self.video_index: Optional[int] = None
        self.reader: Any = None


def _video_name_format(path: str, root: str) -> Tuple[str, str]:
    """(name relative to root without extension, extension) of a video path."""
    parts = os.path.relpath(path, root).split(".")
    return ".".join(parts[:-1]), parts[-1]


def _find_videos(
    directory: str,
    extensions: Optional[Tuple[str, ...]],
    is_valid_file: Optional[Callable[[str], bool]],
) -> List[str]:
    """Paths of the valid videos under ``directory``, in os.walk order like Lightly."""
    if extensions is None and is_valid_file is None:
        raise ValueError("Both extensions and is_valid_file cannot be None")

    def _is_valid(path: str) -> bool:
        if extensions is not None and not path.lower().endswith(extensions):
            return False
        return is_valid_file is None or is_valid_file(path)

    def _raise(error: OSError) -> None:
        raise error

    videos = []
    for root, _, files in os.walk(directory, onerror=_raise):
        videos.extend(path for path in (os.path.join(root, f) for f in files) if _is_valid(path))
    return videos


def _count_frames(
    backend: Any,
    root: str,
    videos: List[str],
    tqdm_args: Optional[Dict[str, Any]],
    num_workers: int,
    cache: Optional[FrameCountCache] = None,
    skip_errors: bool = False,
) -> List[int]:
    """Frame count of each video (no decoding; cached ones are not opened), with a tqdm progress bar.

    With ``skip_errors`` a video that cannot be indexed warns and counts 0 frames (not cached)."""
    counts = [cache.get(path) if cache is not None else None for path in videos]
    todo = [path for path, count in zip(videos, counts) if count is None]
    tqdm_args = dict(tqdm_args or {})
    tqdm_args.setdefault("unit", " video")
    tqdm_args.setdefault("desc", "Counting frames in videos")
    tqdm_args.setdefault("total", len(todo))

    def count(path: str) -> Optional[int]:
        name = os.path.relpath(path, root)
        try:
            stamp = cache.stamp(path) if cache is not None else {}
            frames = backend.count_frames(path, name)
            if frames == 0:
                raise EmptyVideoError(f"video '{name}' has no frames")
        except (VideoError, OSError) as error:  # OSError: the file went away while indexing
            if not skip_errors:
                raise
            warnings.warn(f"skipping video: {error}", RuntimeWarning, stacklevel=2)
            return None
        if cache is not None:
            cache.put(path, frames, stamp)
        return frames

    num_workers = 0 if len(todo) <= 1 else min(num_workers, len(todo))
    try:
        if num_workers == 0:
            counted = list(tqdm(map(count, todo), **tqdm_args))
        else:
            with ThreadPoolExecutor(max_workers=num_workers) as pool:
                counted = list(tqdm(pool.map(count, todo), **tqdm_args))
    finally:  # what was counted before an error is kept
        if cache is not None:
            cache.save()
    fresh = iter(counted)
    return [(next(fresh) if count is None else count) or 0 for count in counts]
