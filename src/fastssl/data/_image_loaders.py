"""Image loading with Pillow, as Lightly's ``pil_loader`` does, with better errors.

Every image is fully decoded inside the loader (``Image.load``), so a corrupt or
truncated file fails here, with an ``ImageDecodeError`` that names the file and
the reason, and never later inside a transform.
"""

from __future__ import annotations

import io
import os
from typing import Optional

from PIL import Image, UnidentifiedImageError

from fastssl.errors import ImageDecodeError


def file_name(path: str, root: Optional[str]) -> str:
    """How errors name a file: relative to the dataset root when there is one."""
    return os.path.relpath(path, root) if root else path


def open_image(path: str, root: Optional[str] = None, data: Optional[bytes] = None) -> Image.Image:
    """Opens and fully decodes an image file, keeping its original mode.

    Args:
        path: Path to the image file.
        root: Dataset root; when given, errors name ``path`` relative to it.
        data: The file's bytes, when the caller has read them already.

    Returns:
        The decoded PIL image (pixel data loaded, file closed).

    Raises:
        ImageDecodeError: The file is missing, unreadable, empty, truncated,
            corrupt, in an unsupported format or absurdly large.
    """
    try:
        # Open the path as a file to avoid a ResourceWarning, like Lightly.
        with (open(path, "rb") if data is None else io.BytesIO(data)) as file:
            image = Image.open(file)
            image.load()
            return image
    except Exception as error:  # any failure to decode, whatever Pillow raises
        raise ImageDecodeError(file_name(path, root), _describe(path, error, data)) from error


def pil_loader(path: str, root: Optional[str] = None, data: Optional[bytes] = None) -> Image.Image:
    """Loads an image with Pillow and converts it to RGB, like Lightly's pil_loader.

    CMYK, palette, grayscale, 16-bit and RGBA images all load (converted with
    ``Image.convert("RGB")``, exactly as Lightly and torchvision do).

    Args:
        path: Path to the image file.
        root: Dataset root; when given, errors name ``path`` relative to it.
        data: The file's bytes, when the caller has read them already.

    Returns:
        A PIL image in RGB mode.

    Raises:
        ImageDecodeError: The file cannot be read or decoded (see ``open_image``).

    Example:
        >>> image = pil_loader("path/to/image.png")
        >>> image.mode
        'RGB'
    """
    return open_image(path, root, data).convert("RGB")


def _describe(path: str, error: BaseException, data: Optional[bytes] = None) -> str:
    """A short human-readable reason for a failed image decode."""
    if isinstance(error, Image.DecompressionBombError):
        return f"image too large (decompression bomb check): {error}"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()  # missing file, permission denied, a directory...
    empty = len(data) == 0 if data is not None else os.path.isfile(path) and os.path.getsize(path) == 0
    if empty:
        return "empty file"
    if isinstance(error, UnidentifiedImageError):
        return "unrecognised or unsupported image format"
    message = str(error)
    if "truncated" in message.lower():
        return f"truncated image data ({message})"
    return f"corrupt image data ({type(error).__name__}: {message})"
