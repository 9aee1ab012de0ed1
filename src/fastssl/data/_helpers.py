"""Picks the dataset type for a folder, with Lightly's rules.

- any video file anywhere under the root: a VideoDataset (every frame a sample);
- else sub-folders (other than ``*lightly_outputs*`` ones): a torchvision
  ImageFolder (one label per sorted top-level folder);
- else a flat DatasetFolder (label 0).
"""

from __future__ import annotations

import functools
import os
from typing import Any, Callable, Dict, Optional, Tuple

from torchvision import datasets

from fastssl.data._image import DatasetFolder
from fastssl.data._image_loaders import pil_loader
from fastssl.data._video import VideoDataset
from fastssl.data.video_readers import select_backend

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")

VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mpg", ".hevc", ".m4v", ".webm", ".mpeg")


def _dir_contains_videos(root: str, extensions: Tuple[str, ...]) -> bool:
    """True if an entry directly in ``root`` has a video extension."""
    with os.scandir(root) as entries:
        return any(entry.name.lower().endswith(extensions) for entry in entries)


def _contains_videos(root: str, extensions: Tuple[str, ...]) -> bool:
    """True if ``root`` or a folder below it (symlinks not followed) holds a video."""
    return any(_dir_contains_videos(folder, extensions) for folder, _, _ in os.walk(root))


def _is_lightly_output_dir(dirname: str) -> bool:
    """True for Lightly's output folders (any name containing ``lightly_outputs``)."""
    return "lightly_outputs" in dirname


def _contains_subdirs(root: str) -> bool:
    """True if ``root`` holds a folder (or link to one) other than a lightly_outputs one."""
    with os.scandir(root) as entries:
        return any(not _is_lightly_output_dir(e.name) for e in entries if e.is_dir())


def _load_dataset_from_folder(
    root: str,
    transform: Optional[Callable[[Any], Any]],
    is_valid_file: Optional[Callable[[str], bool]],
    tqdm_args: Optional[Dict[str, Any]],
    num_workers_video_frame_counting: int = 0,
    on_error: str = "raise",
) -> datasets.VisionDataset:
    """The VideoDataset, ImageFolder or DatasetFolder for the folder ``root``.

    Raises:
        ValueError: ``root`` does not exist, or it holds videos but neither
            PyAV nor decord is installed.
    """
    if not os.path.exists(root):
        raise ValueError(f"The input directory {root} does not exist!")

    if _contains_videos(root, VIDEO_EXTENSIONS):
        try:
            select_backend()
        except ImportError as error:
            raise ValueError(
                f"The input directory {root} contains videos but the VideoDataset is "
                f"not available. Make sure you have installed the right dependencies. "
                f"The error from the imported module was: {error}"
            ) from error
        return VideoDataset(
            root,
            extensions=VIDEO_EXTENSIONS,
            transform=transform,
            is_valid_file=is_valid_file,
            tqdm_args=tqdm_args,
            num_workers=num_workers_video_frame_counting,
            on_error=on_error,
        )
    if _contains_subdirs(root):
        loader = functools.partial(pil_loader, root=os.path.expanduser(root))
        return datasets.ImageFolder(root, transform=transform, loader=loader, is_valid_file=is_valid_file)
    return DatasetFolder(root, extensions=IMG_EXTENSIONS, transform=transform, is_valid_file=is_valid_file)
