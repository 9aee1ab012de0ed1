"""Shared fixtures that write small synthetic images and videos."""

from __future__ import annotations

import os
from typing import Callable, List, Optional, Tuple

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory, monkeypatch):
    """Caches (the video frame-count index) go to a folder of this test session, not ~/.cache."""
    monkeypatch.setenv("FASTSSL_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "fastssl-cache"))


def _pattern(height: int, width: int, seed: int) -> np.ndarray:
    """A deterministic RGB uint8 pattern that differs per seed."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)


@pytest.fixture
def write_image() -> Callable[..., str]:
    """Returns ``write(path, size=(w, h), mode="RGB", seed=0, format=None)``.

    Writes an image of random pixels (converted to ``mode``), creating parent
    folders; ``format`` defaults to the one implied by the extension.
    """

    def write(
        path: "os.PathLike[str] | str",
        size: Tuple[int, int] = (8, 6),
        mode: str = "RGB",
        seed: int = 0,
        format: Optional[str] = None,
    ) -> str:
        path = os.fspath(path)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        image = Image.fromarray(_pattern(size[1], size[0], seed))
        if mode != "RGB":
            image = image.convert(mode)
        image.save(path, format=format)
        return path

    return write


@pytest.fixture
def write_video() -> Callable[..., List[np.ndarray]]:
    """Returns ``write(path, n_frames, codec="mpeg4", format=None, size=(64, 48), ...)``.

    Encodes ``n_frames`` distinct frames with PyAV (25 fps, keyframe every
    ``gop`` frames, ``b_frames`` B-frames where the codec has them) and returns
    the RGB frames that were encoded.
    """
    av = pytest.importorskip("av")

    def write(
        path: "os.PathLike[str] | str",
        n_frames: int,
        codec: str = "mpeg4",
        format: Optional[str] = None,
        size: Tuple[int, int] = (64, 48),
        gop: int = 5,
        b_frames: int = 0,
        seed: int = 0,
    ) -> List[np.ndarray]:
        path = os.fspath(path)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        width, height = size
        frames = []
        with av.open(path, "w", format=format) as container:
            stream = container.add_stream(codec, rate=25)
            stream.width, stream.height = width, height
            stream.pix_fmt = "yuv420p"
            stream.codec_context.gop_size = gop
            if b_frames:
                stream.codec_context.max_b_frames = b_frames
            for i in range(n_frames):
                frame = _pattern(height, width, seed * 1000 + i)
                frames.append(frame)
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        return frames

    return write
