"""Image decoding: RGB conversion like Lightly, clear errors, and check_images."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from lightly.data import LightlyDataset as LtDataset
from lightly.data._image_loaders import pil_loader as lt_pil_loader
from lightly.data._utils import check_images as lt_check_images
from PIL import Image

from fastssl.data import LightlyDataset
from fastssl.data._image_loaders import open_image, pil_loader
from fastssl.data._utils import check_images
from fastssl.errors import ImageDecodeError

# (file name, Pillow mode, extra save arguments)
MODES = {
    "cmyk_jpeg": ("a.jpg", "CMYK", {}),
    "palette_png": ("b.png", "P", {}),
    "palette_png_transparency": ("c.png", "P", {"transparency": 3}),
    "grayscale_png": ("d.png", "L", {}),
    "gray_alpha_png": ("e.png", "LA", {}),
    "rgba_png": ("f.png", "RGBA", {}),
    "bilevel_png": ("g.png", "1", {}),
    "rgba_webp": ("h.webp", "RGBA", {}),
    "cmyk_tiff": ("i.tif", "CMYK", {}),
}


def _save(path, mode, **kwargs):
    rng = np.random.default_rng(len(mode))
    image = Image.fromarray(rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8))
    if mode == "RGBA" or mode == "LA":
        image = image.convert("RGBA")
        image.putalpha(Image.fromarray(rng.integers(0, 256, size=(6, 8), dtype=np.uint8)))
    image.convert(mode).save(path, **kwargs)


@pytest.mark.parametrize("case", list(MODES), ids=list(MODES))
def test_modes_load_to_rgb_like_lightly(tmp_path, case):
    name, mode, kwargs = MODES[case]
    path = str(tmp_path / name)
    _save(path, mode, **kwargs)
    assert Image.open(path).mode == mode
    ours = pil_loader(path)
    assert ours.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(lt_pil_loader(path)))


def test_16_bit_png_loads_to_rgb_like_lightly(tmp_path):
    path = str(tmp_path / "deep.png")
    values = np.arange(48, dtype=np.uint16).reshape(6, 8) * 1000
    Image.fromarray(values).save(path)
    assert Image.open(path).mode.startswith("I")
    np.testing.assert_array_equal(np.asarray(pil_loader(path)), np.asarray(lt_pil_loader(path)))


def test_dataset_samples_of_all_modes_match_lightly(tmp_path):
    for name, mode, kwargs in MODES.values():
        _save(str(tmp_path / name), mode, **kwargs)
    ours, theirs = LightlyDataset(str(tmp_path)), LtDataset(str(tmp_path))
    assert ours.get_filenames() == theirs.get_filenames()
    for (sample, _, _), (lt_sample, _, _) in zip(ours, theirs):
        np.testing.assert_array_equal(np.asarray(sample), np.asarray(lt_sample))


def _jpeg_bytes():
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()


BAD_FILES = {
    "truncated_jpeg": ("t.jpg", lambda: _jpeg_bytes()[: len(_jpeg_bytes()) // 2], "truncated"),
    "empty_file": ("e.png", lambda: b"", "empty file"),
    "garbage": ("g.png", lambda: b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "truncated"),
    "not_an_image": ("n.jpg", lambda: b"hello, I am text", "unrecognised or unsupported image format"),
}


@pytest.mark.parametrize("case", list(BAD_FILES), ids=list(BAD_FILES))
def test_bad_file_raises_image_decode_error_naming_it(tmp_path, case):
    name, content, reason = BAD_FILES[case]
    (tmp_path / "cls").mkdir()
    (tmp_path / "cls" / name).write_bytes(content())
    dataset = LightlyDataset(str(tmp_path))
    with pytest.raises(ImageDecodeError) as info:
        dataset[0]
    assert info.value.path == os.path.join("cls", name)
    assert str(info.value).startswith(f"cannot decode '{os.path.join('cls', name)}': ")
    assert reason in info.value.reason
    assert isinstance(info.value, OSError)  # code catching Pillow's OSError keeps working


def test_decompression_bomb_raises_image_decode_error(tmp_path, monkeypatch, write_image):
    write_image(tmp_path / "big.png", size=(64, 48))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 64 * 48 > 2 * 100
    with pytest.raises(ImageDecodeError, match="'big.png': image too large"):
        LightlyDataset(str(tmp_path))[0]


def test_unreadable_path_raises_image_decode_error(tmp_path):
    with pytest.raises(ImageDecodeError, match="no such file or directory"):
        pil_loader(str(tmp_path / "missing.png"))
    (tmp_path / "sub").mkdir()
    with pytest.raises(ImageDecodeError, match="'sub': is a directory"):
        open_image(str(tmp_path / "sub"), root=str(tmp_path))


def test_open_image_keeps_the_mode_and_decodes_fully(tmp_path):
    path = str(tmp_path / "a.png")
    _save(path, "P")
    image = open_image(path)
    assert image.mode == "P"
    assert image.im is not None  # pixel data is loaded (and the file closed)


def test_check_images_matches_lightly(tmp_path, write_image):
    for i in range(4):
        write_image(tmp_path / f"ok_{i}.jpg", seed=i)
    write_image(tmp_path / "ok_cmyk.jpg", mode="CMYK")
    for name, content, _ in BAD_FILES.values():
        (tmp_path / name).write_bytes(content())
    healthy, corrupt = check_images(str(tmp_path))
    assert (healthy, corrupt) == lt_check_images(str(tmp_path))
    assert corrupt == ["e.png", "g.png", "n.jpg", "t.jpg"]
    assert len(healthy) == 5
