"""JPEG decoding with the C++ engine (libjpeg-turbo, GIL released).

>>> from fastssl.jpeg import decode_jpeg
>>> rgb = decode_jpeg("cls_0/img_1.jpg", scale_denom=2)  # (H/2, W/2, 3) uint8 array
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Union

import numpy as np

from fastssl._ext import cpp_extension, require
from fastssl.errors import ImageDecodeError

# Pillow raises DecompressionBombError above twice its MAX_IMAGE_PIXELS default;
# the engine refuses the same sizes so both paths accept the same files.
DEFAULT_MAX_PIXELS = 2 * 89_478_485

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]


@dataclass(frozen=True)
class JpegHeader:
    width: int
    height: int
    components: int
    colorspace: str  # gray, ycbcr, rgb, cmyk, ycck
    progressive: bool
    scaled_width: int  # size after DCT scaling by 1/scale_denom
    scaled_height: int


def _engine():
    return require("fastssl._C", cpp_extension)


def _read(source: Source):
    """Returns (display name, bytes-like) for a path or an in-memory buffer."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<bytes>", source
    name = os.fspath(source)
    try:
        with open(name, "rb") as f:
            return name, f.read()
    except OSError as e:
        raise ImageDecodeError(name, f"cannot read file ({e.strerror or e})") from e


def read_jpeg_header(source: Source, scale_denom: int = 1, max_pixels: int = DEFAULT_MAX_PIXELS) -> JpegHeader:
    """Reads a JPEG's header without decoding its pixels."""
    engine = _engine()
    name, data = _read(source)
    try:
        return JpegHeader(**engine.jpeg_header(data, scale_denom=scale_denom, max_pixels=max_pixels))
    except engine.DecodeError as e:
        raise ImageDecodeError(name, str(e)) from None


def decode_jpeg(source: Source, scale_denom: int = 1, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decodes a JPEG to an (H, W, 3) uint8 RGB array, DCT-scaled by 1/scale_denom.

    Grayscale, CMYK and YCCK files come out as RGB, equal to Pillow's
    ``Image.open(path).convert("RGB")``; truncated or corrupt data raises
    ImageDecodeError naming the file.
    """
    engine = _engine()
    name, data = _read(source)
    try:
        return engine.decode_jpeg(data, scale_denom=scale_denom, max_pixels=max_pixels)
    except engine.DecodeError as e:
        raise ImageDecodeError(name, str(e)) from None
