"""A flat folder of images (no sub-folders), as Lightly's ``DatasetFolder``."""

from __future__ import annotations

import functools
import os
from typing import Any, Callable, List, Optional, Tuple

from torchvision import datasets

from fastssl.data._image_loaders import pil_loader


class DatasetFolder(datasets.VisionDataset):
    """The images directly inside one folder, all with target 0.

    Files are listed non-recursively (hidden files included), filtered by a
    case-insensitive extension match and ``is_valid_file``, and sorted by path.

    Args:
        root: Path of the folder.
        loader: Function that loads the file at a path; defaults to an RGB
            Pillow loader whose errors name the file relative to ``root``.
        extensions: Allowed file extensions (lower case, with the dot).
        transform: Function applied to each loaded image.
        target_transform: Function applied to each target.
        is_valid_file: Extra filter on the file path.

    Raises:
        ValueError: Both ``extensions`` and ``is_valid_file`` are None.
        RuntimeError: No file in ``root`` passes the filters.

    Example:
        >>> dataset = DatasetFolder("path/to/images", extensions=(".jpg", ".png"))
        >>> image, target = dataset[0]
    """

    def __init__(
        self,
        root: str,
        loader: Optional[Callable[[str], Any]] = None,
        extensions: Optional[Tuple[str, ...]] = None,
        transform: Optional[Callable[[Any], Any]] = None,
        target_transform: Optional[Callable[[Any], Any]] = None,
        is_valid_file: Optional[Callable[[str], bool]] = None,
    ):
        super().__init__(root, transform=transform, target_transform=target_transform)
        samples = _make_dataset(self.root, extensions, is_valid_file)
        if len(samples) == 0:
            msg = f"Found 0 files in folder: {self.root}\n"
            if extensions is not None:
                msg += "Supported extensions are: {}".format(",".join(extensions))
            raise RuntimeError(msg)
        self.loader = loader if loader is not None else functools.partial(pil_loader, root=self.root)
        self.extensions = extensions
        self.samples = samples
        self.targets = [target for _, target in samples]

    def __getitem__(self, index: int) -> Tuple[Any, int]:
        """Returns (image, target) of the file at ``index``."""
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self) -> int:
        """Returns the number of images."""
        return len(self.samples)


def _make_dataset(
    directory: str,
    extensions: Optional[Tuple[str, ...]] = None,
    is_valid_file: Optional[Callable[[str], bool]] = None,
) -> List[Tuple[str, int]]:
    """Lists the valid files directly in ``directory`` as sorted (path, 0) pairs."""
    if extensions is None and is_valid_file is None:
        raise ValueError("Both extensions and is_valid_file cannot be None")

    def _is_valid(path: str) -> bool:
        if extensions is not None and not path.lower().endswith(extensions):
            return False
        return is_valid_file is None or is_valid_file(path)

    with os.scandir(directory) as entries:
        instances = [(entry.path, 0) for entry in entries if _is_valid(entry.path)]
    return sorted(instances, key=lambda item: item[0])
