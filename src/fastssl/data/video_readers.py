"""Video frame readers behind one small interface: decord when installed, else PyAV.

A backend counts the frames of a video without decoding them and opens a
reader; ``reader.read(i)`` returns frame ``i`` (the i-th frame in presentation
order) as an RGB ``uint8`` array of shape (H, W, 3). ``select_backend`` picks
decord when it is installed, but still reads with PyAV the videos whose frames
decord gets wrong on random access (B-frames) or cannot index (raw streams).

The PyAV reader resolves the presentation timestamps (pts) of a video on its
first read, by demuxing packets (no decoding). Reading frame ``i`` then seeks
to the nearest keyframe before it and decodes forward; consecutive reads just
keep decoding.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from fastssl import _ext


class VideoError(Exception):
    """Base exception class for errors during video loading."""


class EmptyVideoError(VideoError):
    """Raised when trying to load a frame from an empty video."""


class NonIncreasingTimestampError(VideoError):
    """Raised when loading a frame whose timestamp equals the one of an earlier
    frame of the video, so that the frame cannot be located unambiguously."""


class UnseekableTimestampError(VideoError):
    """Raised when a frame cannot be reached by seeking and decoding forward."""


@dataclass(frozen=True)
class SeekIndex:
    """Where the frames of a video are, resolved once from its packets.

    Attributes:
        pts: Presentation timestamps of all frames, sorted, in stream time base.
            None when some packet has no timestamp (frames are then read by
            decoding from the start of the video).
        keyframe_pts: Sorted timestamps of the keyframes (seek targets).
        n_frames: Number of frames (packets carrying data).
    """

    pts: Optional[Tuple[int, ...]]
    keyframe_pts: Tuple[int, ...]
    n_frames: int


class PyAVBackend:
    """Counts and reads video frames with PyAV.

    Example:
        >>> backend = PyAVBackend()
        >>> n_frames = backend.count_frames("video.mp4", name="video.mp4")
        >>> frame = backend.open("video.mp4", name="video.mp4").read(0)
    """

    def __init__(self) -> None:
        self._seek_indices: Dict[str, SeekIndex] = {}  # per video path, shared by readers

    def count_frames(self, path: str, name: str) -> int:
        """Number of frames of the video at ``path``, without decoding any.

        Uses the count in the container header when there is one, and counts
        the demuxed packets otherwise.

        Raises:
            VideoError: The file is not a readable video; the message uses ``name``.
        """
        with _open_container(path, name) as container:
            stream = container.streams.video[0]
            if stream.frames > 0 and _ends_where_header_says(container, stream):
                return stream.frames
            # No count in the header, or one the file does not hold (truncated, rewritten): demux.
            if stream.frames > 0:
                _guard(name, lambda: container.seek(0, stream=stream))
            return _guard(name, lambda: sum(1 for _ in _packets(container, stream)))

    def open(self, path: str, name: str) -> "PyAVReader":
        """A reader for the video at ``path``, sharing this backend's seek indices."""
        return PyAVReader(path, name, self._seek_indices)


class PyAVReader:
    """Random and sequential frame access to one video with PyAV.

    Args:
        path: Path to the video file.
        name: Name of the video used in error messages.
        seek_indices: Cache of seek indices by video path, filled on first read.
    """

    def __init__(self, path: str, name: str, seek_indices: Dict[str, SeekIndex]):
        self.path = path
        self.name = name
        self._seek_indices = seek_indices
        self._container: Any = None
        self._frames: Optional[Iterator[Any]] = None
        self._next_index: Optional[int] = 0  # the frame next(self._frames) returns
        self._last_pts: Optional[int] = None

    @property
    def seek_index(self) -> SeekIndex:
        """The timestamps of the frames, resolved on first use by demuxing."""
        seek_index = self._seek_indices.get(self.path)
        if seek_index is None:
            seek_index = _build_seek_index(self.path, self.name)
            self._seek_indices[self.path] = seek_index
        return seek_index

    def read(self, index: int, allow_equal_timestamps: bool = False) -> np.ndarray:
        """Returns frame ``index`` (presentation order) as an RGB uint8 (H, W, 3) array.

        Args:
            index: Frame number.
            allow_equal_timestamps: Read a frame that shares its timestamp with
                the frame before it (by decoding from the start) instead of raising.

        Raises:
            EmptyVideoError: The video has no frames.
            IndexError: ``index`` is not a frame of the video.
            NonIncreasingTimestampError: The frame shares its timestamp with the
                frame before it and ``allow_equal_timestamps`` is False.
            UnseekableTimestampError: Decoding did not reach the frame.
        """
        seek_index = self.seek_index
        _check_index(self.name, index, seek_index.n_frames)
        pts = seek_index.pts
        if pts is not None and index > 0 and pts[index - 1] == pts[index]:
            if not allow_equal_timestamps:
                raise NonIncreasingTimestampError(
                    f"Frame {index} of video '{self.name}' has the same timestamp as the "
                    f"frame before it, so seeking to it might return the wrong frame."
                )
            pts = None
        frame = self._read_by_counting(index) if pts is None else self._read_by_timestamp(index, pts[index])
        return frame.to_ndarray(format="rgb24")

    def read_many(self, indices: Sequence[int], allow_equal_timestamps: bool = False) -> List[np.ndarray]:
        """Frames ``indices`` (ascending), decoding each group of pictures once: a frame
        later in the same GOP is reached by decoding on, not by seeking again."""
        return [self.read(index, allow_equal_timestamps) for index in indices]

    def close(self) -> None:
        """Closes the file; a later read re-opens it."""
        if self._container is not None:
            self._container.close()
        self._container = None
        self._frames = None

    def _read_by_timestamp(self, index: int, target: int) -> Any:
        """Seeks to the keyframe before ``target`` (unless decoding on reaches it
        sooner) and decodes forward to the frame with that timestamp."""
        if not self._can_decode_forward_to(target):
            self._seek(target)
        frame = self._decode_until(target)
        if frame is None:
            # The seek landed after the frame (an inexact container index): retry from the start.
            self._restart()
            frame = self._decode_until(target)
        if frame is None:
            self.close()
            raise UnseekableTimestampError(
                f"Cannot seek to frame {index} (timestamp {target}) in video '{self.name}'."
            )
        self._next_index = index + 1
        return frame

    def _read_by_counting(self, index: int) -> Any:
        """Decodes from the start (or on from the current frame) to frame ``index``."""
        if self._frames is None or self._next_index is None or index < self._next_index:
            self._restart()
        frame = None
        while self._next_index <= index:
            frame = self._next_frame()
            if frame is None:
                self.close()
                raise UnseekableTimestampError(f"Video '{self.name}' ended before frame {index}.")
            self._next_index += 1
            self._last_pts = frame.pts
        return frame

    def _can_decode_forward_to(self, target: int) -> bool:
        """True when decoding on from the current position reaches ``target``
        without passing a keyframe that a seek would jump to."""
        if self._frames is None or self._last_pts is None or self._last_pts >= target:
            return False
        keyframes = self.seek_index.keyframe_pts
        position = bisect.bisect_right(keyframes, target) - 1
        return position < 0 or keyframes[position] <= self._last_pts

    def _seek(self, target: int) -> None:
        container = self._ensure_open()
        stream = container.streams.video[0]
        _guard(self.name, lambda: container.seek(target, stream=stream, backward=True, any_frame=False))
        self._frames = container.decode(stream)
        self._next_index = None  # unknown until the target frame is found
        self._last_pts = None

    def _restart(self) -> None:
        self.close()
        container = self._ensure_open()
        self._frames = container.decode(container.streams.video[0])
        self._next_index = 0
        self._last_pts = None

    def _decode_until(self, target: int) -> Any:
        """Decodes forward to the frame with timestamp ``target``; None if passed."""
        while True:
            frame = self._next_frame()
            if frame is None or frame.pts is None or frame.pts > target:
                return None
            self._last_pts = frame.pts
            if frame.pts == target:
                return frame

    def _next_frame(self) -> Any:
        assert self._frames is not None
        return _guard(self.name, lambda: next(self._frames, None))

    def _ensure_open(self) -> Any:
        if self._container is None:
            self._container = _open_container(self.path, self.name)
        return self._container


class DecordBackend:
    """Counts and reads video frames with decord (``decord.VideoReader``).

    Example:
        >>> backend = DecordBackend()
        >>> frame = backend.open("video.mp4", name="video.mp4").read(0)
    """

    def count_frames(self, path: str, name: str) -> int:
        """Number of frames of the video, from decord's index (the video is not decoded)."""
        return len(self.open(path, name))

    def open(self, path: str, name: str) -> "DecordReader":
        """A reader for the video at ``path`` (decord keeps its own seek index)."""
        return DecordReader(_ext.optional_module("decord"), path, name)


class DecordReader:
    """Frame access to one video with decord.

    Args:
        module: The decord module.
        path: Path to the video file.
        name: Name of the video used in error messages.
    """

    def __init__(self, module: Any, path: str, name: str):
        self.name = name
        self._reader = _guard(name, lambda: module.VideoReader(path, ctx=module.cpu(0)))

    def __len__(self) -> int:
        return len(self._reader)

    def read(self, index: int, allow_equal_timestamps: bool = False) -> np.ndarray:
        """Returns frame ``index`` as an RGB uint8 (H, W, 3) array.

        decord locates frames by its own index, so ``allow_equal_timestamps``
        (needed by the PyAV reader) changes nothing here.
        """
        _check_index(self.name, index, len(self._reader))
        return _guard(self.name, lambda: self._reader[index].asnumpy())

    def read_many(self, indices: Sequence[int], allow_equal_timestamps: bool = False) -> List[np.ndarray]:
        """Frames ``indices`` (ascending) in one decord batch, which decodes each GOP once."""
        for index in indices:
            _check_index(self.name, index, len(self._reader))
        batch = _guard(self.name, lambda: self._reader.get_batch(list(indices)).asnumpy())
        return list(batch)

    def close(self) -> None:
        """Releases the decord reader."""
        self._reader = None


class DecordWithPyAVBackend:
    """decord for the videos it reads exactly, PyAV for the others.

    decord's random access returns wrong frames for videos with B-frames in
    several containers and codecs (e.g. MPEG-4 part 2 in .mp4/.avi, MPEG-1/2
    in .mpg, H.264 in .avi), and it cannot index raw streams (.hevc). Such
    videos are read with PyAV, which seeks by presentation timestamp.

    Example:
        >>> backend = DecordWithPyAVBackend()
        >>> frame = backend.open("video.mp4", name="video.mp4").read(0)
    """

    def __init__(self) -> None:
        self._decord = DecordBackend()
        self._pyav = PyAVBackend()
        self._pyav_paths: Dict[str, bool] = {}  # per video path: read with PyAV?

    def count_frames(self, path: str, name: str) -> int:
        """Number of frames of the video, without decoding any."""
        if not self._uses_pyav(path, name):
            try:
                return self._decord.count_frames(path, name)
            except VideoError:  # decord cannot index it (a raw stream, ...)
                self._pyav_paths[path] = True
        return self._pyav.count_frames(path, name)

    def open(self, path: str, name: str) -> Any:
        """A reader for the video at ``path`` from the backend that reads it exactly."""
        if not self._uses_pyav(path, name):
            try:
                return self._decord.open(path, name)
            except VideoError:  # decord cannot index it (a raw stream, ...), e.g. counted from a cache
                self._pyav_paths[path] = True
        return self._pyav.open(path, name)

    def _uses_pyav(self, path: str, name: str) -> bool:
        if path not in self._pyav_paths:
            self._pyav_paths[path] = _has_b_frames(path, name)
        return self._pyav_paths[path]


def select_backend() -> Any:
    """The video backend to use: decord when installed (with PyAV for the videos
    decord gets wrong, when PyAV is installed too), PyAV otherwise.

    Raises:
        ImportError: Neither decord nor PyAV is installed.
    """
    if _ext.decord().available:
        return DecordWithPyAVBackend() if _ext.pyav().available else DecordBackend()
    if _ext.pyav().available:
        return PyAVBackend()
    raise ImportError("reading videos needs PyAV (pip install av) or decord (pip install decord)")


def _check_index(name: str, index: int, n_frames: int) -> None:
    if n_frames == 0:
        raise EmptyVideoError(f"Cannot load frame from empty video '{name}'.")
    if not 0 <= index < n_frames:
        raise IndexError(f"Frame {index} is out of range for video '{name}' with {n_frames} frames.")


def _guard(name: str, call: Any) -> Any:
    """Runs ``call``, turning decoder errors into a VideoError naming the video."""
    try:
        return call()
    except (VideoError, IndexError):
        raise
    except Exception as error:  # av.FFmpegError, decord's DECORDError, ...
        raise VideoError(f"cannot read video '{name}': {error}") from error


def _open_container(path: str, name: str) -> Any:
    av = _ext.optional_module("av")
    container = _guard(name, lambda: av.open(path, metadata_errors="ignore"))
    if not container.streams.video:
        container.close()
        raise VideoError(f"cannot read video '{name}': the file has no video stream")
    return container


def _has_b_frames(path: str, name: str) -> bool:
    """True when the codec reorders frames (B-frames), read from the header."""
    with _open_container(path, name) as container:
        return bool(container.streams.video[0].codec_context.has_b_frames)


def _ends_where_header_says(container: Any, stream: Any) -> bool:
    """Whether the video's last packets reach the time of its last frame by the header's
    count and frame rate: a cheap check (a seek near the end) that catches truncated files."""
    if not stream.average_rate or not stream.time_base:
        return False
    frame_time = 1 / stream.average_rate
    start = stream.start_time or 0
    expected_last = start + (stream.frames - 1) * frame_time / stream.time_base
    try:
        container.seek(int(expected_last - 2 * frame_time / stream.time_base), stream=stream, backward=True)
        last = max((p.pts for p in _packets(container, stream) if p.pts is not None), default=None)
    except Exception:  # a container that cannot seek: count by demuxing instead
        return False
    return last is not None and last >= expected_last - 1.5 * frame_time / stream.time_base


def _packets(container: Any, stream: Any) -> Iterator[Any]:
    """The packets of ``stream`` that carry data (the final flush packet has none)."""
    return (packet for packet in container.demux(stream) if packet.size > 0)


def _build_seek_index(path: str, name: str) -> SeekIndex:
    with _open_container(path, name) as container:
        stream = container.streams.video[0]
        packets: List[Tuple[Optional[int], bool]] = _guard(
            name, lambda: [(p.pts, p.is_keyframe) for p in _packets(container, stream)]
        )
    if any(pts is None for pts, _ in packets):
        return SeekIndex(pts=None, keyframe_pts=(), n_frames=len(packets))
    return SeekIndex(
        pts=tuple(sorted(pts for pts, _ in packets)),
        keyframe_pts=tuple(sorted(pts for pts, key in packets if key)),
        n_frames=len(packets),
    )
