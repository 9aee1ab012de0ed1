"""Video folders: Lightly's naming, order and targets; exact frames; no decoding to count."""

from __future__ import annotations

import io
import os
import pickle
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from lightly.data import LightlyDataset as LtDataset
from torchvision import transforms as T

import fastssl.data
from fastssl import _ext
from fastssl.data import LightlyDataset
from fastssl.data import _video
from fastssl.data.video_readers import (
    DecordBackend,
    DecordWithPyAVBackend,
    PyAVBackend,
    PyAVReader,
    SeekIndex,
)

av = pytest.importorskip("av")

needs_decord = pytest.mark.skipif(not _ext.decord().available, reason="decord not installed")


def _decode_all(path):
    """Every frame of the video, decoded in sequence with PyAV (the reference)."""
    with av.open(path) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


@pytest.fixture
def video_dir(tmp_path, write_video, write_image):
    """Videos in nested folders (B-frames, lossless, header without frame count)."""
    root = tmp_path / "videos"
    write_video(root / "clip.mp4", 7, codec="mpeg4", b_frames=2, seed=1)
    write_video(root / "Upper.MP4", 10, codec="mpeg4", seed=2)
    write_video(root / "sub" / "lossless.avi", 11, codec="ffv1", seed=3)
    write_video(root / "sub" / "deeper" / "h264.mov", 23, codec="libx264", b_frames=2, seed=4)
    write_video(root / "sub" / "no_count.webm", 9, codec="ffv1", format="matroska", seed=5)
    write_image(root / "ignored.png")  # images are ignored when there are videos
    return root


@pytest.fixture
def lightly_video_support(monkeypatch):
    """Lets Lightly 1.6.0 index and read videos on a torchvision without video io.

    Stand-ins for torchvision's pyav ``read_video_timestamps`` (packet pts,
    sorted, in seconds) and ``read_video`` (the frames between two times).
    """
    import lightly.data._video as lt_video

    def read_video_timestamps(filename, pts_unit="pts"):
        with av.open(filename) as container:
            stream = container.streams.video[0]
            pts = sorted(p.pts for p in container.demux(stream) if p.pts is not None)
            return [p * stream.time_base for p in pts], float(stream.average_rate)

    def read_video(filename, start_pts, end_pts, pts_unit="pts"):
        with av.open(filename) as container:
            stream = container.streams.video[0]
            frames = [
                f.to_ndarray(format="rgb24")
                for f in container.decode(stream)
                if start_pts <= f.pts * stream.time_base <= end_pts
            ]
        return torch.from_numpy(np.stack(frames)), torch.empty(0), {}

    fake_io = SimpleNamespace(read_video_timestamps=read_video_timestamps, read_video=read_video)
    monkeypatch.setattr(lt_video, "VIDEO_SUPPORT_AVAILABLE", True)
    monkeypatch.setattr(lt_video, "io", fake_io)


BACKENDS = {
    "pyav": PyAVBackend,
    "decord_with_pyav": pytest.param(DecordWithPyAVBackend, marks=needs_decord),
}


@pytest.fixture(params=list(BACKENDS.values()), ids=list(BACKENDS))
def backend(request, monkeypatch):
    """Runs a test with each video backend."""
    monkeypatch.setattr(_video, "select_backend", request.param)
    return request.param


def test_names_order_targets_and_frames_match_lightly(video_dir, lightly_video_support, backend):
    ours = LightlyDataset(str(video_dir), tqdm_args={"disable": True})
    theirs = LtDataset(str(video_dir), tqdm_args={"disable": True})
    assert ours.dataset.videos == theirs.dataset.videos
    assert ours.dataset.offsets == [int(offset) for offset in theirs.dataset.offsets]
    assert ours.get_filenames() == theirs.get_filenames()
    assert len(ours) == len(theirs) == 7 + 10 + 11 + 23 + 9
    for index in range(len(theirs)):
        sample, target, fname = ours[index]
        lt_sample, lt_target, lt_fname = theirs[index]
        assert (fname, target) == (lt_fname, lt_target)
        assert sample.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(sample), np.asarray(lt_sample))
    assert os.path.join("sub", "deeper", "h264-07-mov.png") in ours.get_filenames()
    assert "clip-6-mp4.png" in ours.get_filenames()


def test_frame_names_match_lightly_naming_code(video_dir):
    """Lightly's own get_filenames, on a VideoDataset shell holding our index."""
    from lightly.data._video import VideoDataset as LtVideoDataset

    ours = LightlyDataset(str(video_dir), tqdm_args={"disable": True})
    shell = object.__new__(LtVideoDataset)
    shell.root, shell.videos = ours.dataset.root, ours.dataset.videos
    shell.offsets, shell._length = ours.dataset.offsets, len(ours)
    assert ours.get_filenames() == shell.get_filenames()
    assert [ours.dataset.get_filename(i) for i in range(len(ours))] == shell.get_filenames()


def test_frames_are_the_sequentially_decoded_frames_in_any_order(video_dir, backend):
    dataset = LightlyDataset(str(video_dir), tqdm_args={"disable": True})
    reference = [frame for video in dataset.dataset.videos for frame in _decode_all(video)]
    indices = list(range(len(dataset)))
    random.Random(0).shuffle(indices)
    for index in indices + list(range(len(dataset))):
        np.testing.assert_array_equal(np.asarray(dataset[index][0]), reference[index])


@needs_decord
def test_decord_backend_reads_videos_without_b_frames_exactly(tmp_path, write_video):
    path = str(tmp_path / "v.avi")
    write_video(path, 12, codec="ffv1")
    backend = DecordBackend()
    assert backend.count_frames(path, "v.avi") == 12
    reader = backend.open(path, "v.avi")
    reference = _decode_all(path)
    for index in [5, 0, 11, 6, 7, 1]:
        np.testing.assert_array_equal(reader.read(index), reference[index])


@needs_decord
def test_decord_is_not_used_for_videos_with_b_frames(tmp_path, write_video):
    write_video(tmp_path / "b.mp4", 8, codec="mpeg4", b_frames=2)
    write_video(tmp_path / "plain.avi", 8, codec="ffv1")
    backend = DecordWithPyAVBackend()
    b_frames = backend.open(str(tmp_path / "b.mp4"), "b.mp4")
    plain = backend.open(str(tmp_path / "plain.avi"), "plain.avi")
    assert isinstance(b_frames, PyAVReader)
    assert not isinstance(plain, PyAVReader)


def test_raw_stream_without_timestamps_reads_by_counting(tmp_path, write_video, backend):
    """A raw H.264 stream (.hevc is one of Lightly's extensions) has no packet pts."""
    frames = write_video(tmp_path / "raw.hevc", 9, codec="libx264", format="h264", b_frames=2)
    dataset = LightlyDataset(str(tmp_path), tqdm_args={"disable": True})
    assert dataset.get_filenames() == [f"raw-{i}-hevc.png" for i in range(9)]
    reference = _decode_all(str(tmp_path / "raw.hevc"))
    assert len(reference) == len(frames) == 9
    for index in [4, 5, 0, 8, 2]:
        np.testing.assert_array_equal(np.asarray(dataset[index][0]), reference[index])
    warm = LightlyDataset(str(tmp_path), tqdm_args={"disable": True})  # counts from the cache: nothing opened yet
    np.testing.assert_array_equal(np.asarray(warm[5][0]), reference[5])


class _NoDecodeContainer:
    """Wraps a PyAV container; decoding fails the test, demuxing is recorded."""

    def __init__(self, container, demuxed):
        self._container, self._demuxed = container, demuxed

    def __getattr__(self, name):
        return getattr(self._container, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._container.close()

    def demux(self, *args, **kwargs):
        self._demuxed.append(os.path.basename(self._container.name))
        return self._container.demux(*args, **kwargs)

    def decode(self, *args, **kwargs):
        raise AssertionError("frame counting decoded frames")


def test_frame_counting_does_not_decode(video_dir, monkeypatch):
    monkeypatch.setattr(_video, "select_backend", PyAVBackend)
    demuxed = []
    real_open = av.open
    monkeypatch.setattr(av, "open", lambda *a, **k: _NoDecodeContainer(real_open(*a, **k), demuxed))
    dataset = LightlyDataset(str(video_dir), tqdm_args={"disable": True})
    assert len(dataset) == 7 + 10 + 11 + 23 + 9
    # Every header count is checked against the packets near the end (a seek, then a short demux);
    # the container without a count is demuxed in full. Nothing is decoded (_NoDecodeContainer).
    assert sorted(demuxed) == sorted(["clip.mp4", "Upper.MP4", "lossless.avi", "h264.mov", "no_count.webm"])


def test_frame_counting_threads_and_progress_bar(video_dir, backend):
    output = io.StringIO()
    threaded = LightlyDataset(
        str(video_dir),
        tqdm_args={"file": output, "desc": "Indexing my videos"},
        num_workers_video_frame_counting=2,
    )
    serial = LightlyDataset(str(video_dir), tqdm_args={"disable": True})
    assert threaded.get_filenames() == serial.get_filenames()
    assert threaded.dataset.offsets == serial.dataset.offsets
    assert "Indexing my videos" in output.getvalue()
    assert "5/5" in output.getvalue()


def test_broken_video_is_reported_at_indexing(video_dir, backend):
    (video_dir / "sub" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(200))
    with pytest.raises(fastssl.data.VideoError, match=r"cannot read video 'sub/broken.mp4'"):
        LightlyDataset(str(video_dir), tqdm_args={"disable": True})


def test_filenames_filter_keeps_only_listed_videos_like_lightly(video_dir, lightly_video_support):
    keep = [os.path.join("sub", "lossless.avi"), "clip.mp4"]
    ours = LightlyDataset(str(video_dir), filenames=keep, tqdm_args={"disable": True})
    theirs = LtDataset(str(video_dir), filenames=keep, tqdm_args={"disable": True})
    assert ours.get_filenames() == theirs.get_filenames()
    assert len(ours) == 7 + 11
    with pytest.raises(RuntimeError, match="Found 0 videos in folder"):
        LightlyDataset(str(video_dir), filenames=["clip-1-mp4.png"], tqdm_args={"disable": True})


def test_transform_index_errors_and_pickling(video_dir):
    dataset = LightlyDataset(str(video_dir), transform=T.ToTensor(), tqdm_args={"disable": True})
    sample, target, fname = dataset[len(dataset) - 1]
    assert sample.shape == (3, 48, 64) and target == 4 and fname == dataset.get_filenames()[-1]
    with pytest.raises(IndexError, match="out of bounds"):
        dataset[len(dataset)]
    copy = pickle.loads(pickle.dumps(dataset))
    torch.testing.assert_close(copy[5][0], dataset[5][0], rtol=0, atol=0)


def test_dataloader_workers_read_the_same_frames(video_dir):
    dataset = LightlyDataset(str(video_dir), transform=T.PILToTensor(), tqdm_args={"disable": True})
    dataset[3]  # an open reader in the parent must not be shared with forked workers
    loader = torch.utils.data.DataLoader(dataset, batch_size=8, num_workers=2)
    frames = torch.cat([batch[0] for batch in loader])
    expected = torch.stack([dataset[i][0] for i in range(len(dataset))])
    assert torch.equal(frames, expected)


def test_dump_saves_the_same_frames_as_lightly(tmp_path, write_video, lightly_video_support):
    data = tmp_path / "data"
    write_video(data / "a.avi", 4, codec="ffv1", seed=1)
    write_video(data / "s" / "b.mp4", 3, codec="mpeg4", seed=2)
    LightlyDataset(str(data), tqdm_args={"disable": True}).dump(str(tmp_path / "ours"))
    LtDataset(str(data), tqdm_args={"disable": True}).dump(str(tmp_path / "theirs"))
    ours = sorted(os.path.relpath(os.path.join(d, f), tmp_path / "ours") for d, _, fs in os.walk(tmp_path / "ours") for f in fs)
    theirs = sorted(
        os.path.relpath(os.path.join(d, f), tmp_path / "theirs") for d, _, fs in os.walk(tmp_path / "theirs") for f in fs
    )
    assert ours == theirs and len(ours) == 7
    for name in ours:
        with open(tmp_path / "ours" / name, "rb") as a, open(tmp_path / "theirs" / name, "rb") as b:
            np.testing.assert_array_equal(np.asarray(_png(a)), np.asarray(_png(b)))


def _png(file):
    from PIL import Image

    return Image.open(file).convert("RGB")


def test_equal_timestamps_raise_unless_allowed(tmp_path, write_video):
    path = str(tmp_path / "v.avi")
    write_video(path, 4, codec="ffv1")
    duplicated = SeekIndex(pts=(0, 1, 1, 3), keyframe_pts=(0,), n_frames=4)
    reader = PyAVReader(path, "v.avi", {path: duplicated})
    with pytest.raises(fastssl.data.NonIncreasingTimestampError, match="Frame 2 of video 'v.avi'"):
        reader.read(2)
    np.testing.assert_array_equal(reader.read(2, allow_equal_timestamps=True), _decode_all(path)[2])


def test_empty_and_unseekable_videos_raise(tmp_path, write_video):
    path = str(tmp_path / "v.avi")
    write_video(path, 4, codec="ffv1")
    empty = PyAVReader(path, "v.avi", {path: SeekIndex(pts=(), keyframe_pts=(), n_frames=0)})
    with pytest.raises(fastssl.data.EmptyVideoError, match="empty video 'v.avi'"):
        empty.read(0)
    missing_pts = SeekIndex(pts=(0, 1, 2, 99), keyframe_pts=(0,), n_frames=4)
    unseekable = PyAVReader(path, "v.avi", {path: missing_pts})
    with pytest.raises(fastssl.data.UnseekableTimestampError, match="frame 3 .* in video 'v.avi'"):
        unseekable.read(3)
