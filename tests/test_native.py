"""The C++ engine's JPEG decoder against Pillow (the reference path), and its errors."""

import io
import threading

import numpy as np
import pytest
from PIL import Image

from fastssl import _ext
from fastssl.errors import ImageDecodeError
from fastssl.jpeg import decode_jpeg, read_jpeg_header

pytestmark = pytest.mark.skipif(not _ext.cpp_extension().available, reason="fastssl._C not built")


def _photo_like(width=97, height=61, seed=0):
    """Smooth gradients plus noise: realistic for JPEG, odd sizes on purpose."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 / width, y * 255 / height, (x + y) * 127 / (width + height)], axis=-1)
    noisy = base + rng.normal(0, 12, base.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def _jpeg_bytes(image, **save_args):
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", **save_args)
    return buffer.getvalue()


def _pillow_rgb(data):
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


VARIANTS = {
    "baseline-420": lambda img: _jpeg_bytes(img, quality=85),
    "progressive": lambda img: _jpeg_bytes(img, quality=90, progressive=True),
    "444": lambda img: _jpeg_bytes(img, quality=95, subsampling=0),
    "restart-markers": lambda img: _jpeg_bytes(img, quality=80, restart_marker_blocks=2),
    "grayscale": lambda img: _jpeg_bytes(img.convert("L"), quality=85),
    "cmyk": lambda img: _jpeg_bytes(img.convert("CMYK"), quality=90),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_decode_matches_pillow(variant):
    data = VARIANTS[variant](_photo_like())
    ours = decode_jpeg(data)
    reference = _pillow_rgb(data)
    assert ours.shape == reference.shape == (61, 97, 3)
    assert ours.dtype == np.uint8
    # Same IDCT (islow) and upsampling; libjpeg-turbo versions may differ by rounding only.
    diff = np.abs(ours.astype(int) - reference.astype(int))
    assert diff.max() <= 1, f"max abs diff {diff.max()}"


@pytest.mark.parametrize("scale_denom", [1, 2, 4, 8])
def test_scaled_decode_size_and_content(scale_denom):
    data = VARIANTS["baseline-420"](_photo_like(203, 131))
    header = read_jpeg_header(data, scale_denom=scale_denom)
    assert (header.width, header.height) == (203, 131)
    expected = (-(-131 // scale_denom), -(-203 // scale_denom))  # libjpeg rounds up
    assert (header.scaled_height, header.scaled_width) == expected
    ours = decode_jpeg(data, scale_denom=scale_denom)
    assert ours.shape == (*expected, 3)
    # Pillow's draft mode uses the same DCT scaling.
    reference = Image.open(io.BytesIO(data))
    reference.draft("RGB", (203 // scale_denom, 131 // scale_denom))
    assert np.abs(ours.astype(int) - np.asarray(reference.convert("RGB")).astype(int)).max() <= 1


def test_header_fields():
    header = read_jpeg_header(VARIANTS["progressive"](_photo_like()))
    assert header.progressive and header.colorspace == "ycbcr" and header.components == 3
    assert read_jpeg_header(VARIANTS["grayscale"](_photo_like())).colorspace == "gray"
    assert read_jpeg_header(VARIANTS["cmyk"](_photo_like())).components == 4


def test_reads_files_and_names_them_in_errors(tmp_path):
    good = tmp_path / "good.jpg"
    good.write_bytes(VARIANTS["baseline-420"](_photo_like()))
    assert decode_jpeg(good).shape == (61, 97, 3)
    missing = tmp_path / "cls_3" / "missing.jpg"
    with pytest.raises(ImageDecodeError, match=r"cannot decode '.*cls_3/missing.jpg': cannot read file"):
        decode_jpeg(missing)


def test_truncated_jpeg_is_an_error():
    data = VARIANTS["baseline-420"](_photo_like())
    with pytest.raises(ImageDecodeError, match="truncated JPEG data"):
        decode_jpeg(data[: len(data) // 2])


def test_empty_and_garbage_are_errors():
    with pytest.raises(ImageDecodeError, match="empty file"):
        decode_jpeg(b"")
    with pytest.raises(ImageDecodeError, match="Not a JPEG file"):
        decode_jpeg(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(ImageDecodeError):
        decode_jpeg(bytes(range(256)) * 4)


def _with_size(data, width, height):
    """Rewrites the frame header (SOF0) of a baseline JPEG to claim another size."""
    sof = data.index(b"\xff\xc0")
    patched = bytearray(data)
    patched[sof + 5 : sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(patched)


def test_absurd_size_is_refused_before_decoding():
    data = _with_size(VARIANTS["baseline-420"](_photo_like()), 65000, 65000)
    with pytest.raises(ImageDecodeError, match="image too large: 65000x65000"):
        decode_jpeg(data)
    with pytest.raises(ImageDecodeError, match="over the limit of 100"):
        read_jpeg_header(VARIANTS["baseline-420"](_photo_like()), max_pixels=100)


def test_bad_arguments():
    data = VARIANTS["baseline-420"](_photo_like())
    with pytest.raises(ValueError, match="scale_denom must be 1, 2, 4 or 8, got 3"):
        decode_jpeg(data, scale_denom=3)
    with pytest.raises(ValueError, match="contiguous bytes-like"):
        _ext.optional_module("fastssl._C").decode_jpeg(np.zeros((4, 4), np.uint8), 1, 10**6)


def test_concurrent_decodes_agree():
    """The decoder releases the GIL and keeps no shared state: threads give identical results."""
    data = VARIANTS["progressive"](_photo_like(320, 240))
    expected = decode_jpeg(data)
    results = [None] * 8

    def work(i):
        results[i] = decode_jpeg(data)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.array_equal(r, expected) for r in results)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("scale_denom", [1, 2, 8])
def test_region_decode_equals_full_decode(variant, scale_denom):
    """Any rectangle, decoded with a 2-pixel margin (as the engine does), equals the full decode there."""
    engine = _ext.optional_module("fastssl._C")
    data = VARIANTS[variant](_photo_like(331, 251, seed=4))
    full = engine.decode_jpeg(data, scale_denom, 10**9)
    height, width = full.shape[:2]
    rng = np.random.default_rng(scale_denom)
    for _ in range(40):
        x0, x1 = sorted(int(v) for v in rng.integers(0, width + 1, 2))
        y0, y1 = sorted(int(v) for v in rng.integers(0, height + 1, 2))
        if x1 - x0 < 1 or y1 - y0 < 1:
            continue
        region = (max(0, x0 - 2), max(0, y0 - 2), min(width, x1 + 2), min(height, y1 + 2))
        pixels, ox, oy = engine.decode_jpeg_region(data, region, scale_denom, 10**9)
        assert ox <= region[0] and oy == region[1]
        assert np.array_equal(pixels[y0 - oy : y1 - oy, x0 - ox : x1 - ox], full[y0:y1, x0:x1])


def test_region_decode_still_detects_truncation_below_the_region():
    engine = _ext.optional_module("fastssl._C")
    data = VARIANTS["baseline-420"](_photo_like(200, 160))
    truncated = data[: int(len(data) * 0.8)]
    with pytest.raises(engine.DecodeError, match="truncated JPEG data"):
        engine.decode_jpeg_region(truncated, (0, 0, 40, 20), 1, 10**9)
    with pytest.raises(engine.DecodeError, match=r"region \[0, 500\) x \[0, 20\) is outside the 200x160 image"):
        engine.decode_jpeg_region(data, (0, 0, 500, 20), 1, 10**9)
