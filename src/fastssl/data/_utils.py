"""Finds the corrupt images of a folder, as Lightly's ``check_images``."""

from __future__ import annotations

import os
from typing import List, Tuple

import tqdm.contrib.concurrent as concurrent

from fastssl.data._image_loaders import open_image
from fastssl.data.dataset import LightlyDataset
from fastssl.errors import ImageDecodeError


def check_images(data_dir: str) -> Tuple[List[str], List[str]]:
    """Splits the images of ``data_dir`` into healthy and corrupt ones.

    Each image of ``LightlyDataset(data_dir)`` is fully decoded (in threads);
    the ones that fail (unreadable, empty, truncated, corrupt, unsupported or
    absurdly large) are corrupt.

    Args:
        data_dir: Folder of images, as accepted by LightlyDataset.

    Returns:
        (healthy filenames, corrupt filenames), both in dataset order.

    Example:
        >>> healthy, corrupt = check_images("path/to/images")
        >>> print(f"Found {len(corrupt)} corrupt images")
    """
    filenames = LightlyDataset(input_dir=data_dir).get_filenames()

    def _is_corrupt(filename: str) -> bool:
        try:
            open_image(os.path.join(data_dir, filename))
        except ImageDecodeError:
            return True
        return False

    corrupt = concurrent.thread_map(_is_corrupt, filenames, chunksize=min(32, len(filenames)))
    healthy_images = [f for f, is_corrupt in zip(filenames, corrupt) if not is_corrupt]
    corrupt_images = [f for f, is_corrupt in zip(filenames, corrupt) if is_corrupt]
    return healthy_images, corrupt_images
