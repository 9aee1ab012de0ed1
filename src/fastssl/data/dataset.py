"""LightlyDataset: one interface over image folders, videos and torch datasets."""

from __future__ import annotations

import bisect
import os
import shutil
import tempfile
from typing import Any, Callable, Dict, List, Optional, Union

from PIL import Image
from torchvision import datasets
from torchvision.datasets.vision import StandardTransform, VisionDataset

from fastssl.data._helpers import _load_dataset_from_folder
from fastssl.data._image import DatasetFolder
from fastssl.data._video import VideoDataset


class LightlyDataset:
    """Provides a uniform data interface, returning (sample, target, filename).

    A drop-in for ``lightly.data.LightlyDataset`` (Lightly 1.6.0), with the same
    folder rules: a flat folder of images (target 0); a folder with sub-folders,
    ImageNet style (one target per sorted sub-folder); or videos anywhere under
    the folder (every frame a sample, target = video index, images ignored).
    ``from_torch_dataset`` wraps any torch dataset (e.g. torchvision's CIFAR10).

    Args:
        input_dir: Path to the folder with the images or videos; None creates
            an empty dataset (see ``from_torch_dataset``).
        transform: Image transform (as in torchvision).
        index_to_filename: Function (dataset, index) -> filename; defaults to
            the path relative to ``input_dir`` (or a frame name for videos).
        filenames: If given, only these files (relative to ``input_dir``) are used.
        tqdm_args: Arguments for the progress bar shown while counting video frames.
        num_workers_video_frame_counting: Threads counting video frames.
        on_error: For a video folder: "raise" a VideoError naming a video that
            cannot be indexed, or "skip" it with a warning (it then has no frames).
            A fastssl addition; image files are checked when they are loaded.

    Raises:
        ValueError: ``input_dir`` does not exist, or it is None while
            ``transform`` is not.

    Example:
        >>> from fastssl.data import LightlyDataset
        >>> dataset = LightlyDataset(input_dir="path/to/mydata/")
        >>> sample, target, fname = dataset[0]
    """

    def __init__(
        self,
        input_dir: Union[str, None],
        transform: Optional[Callable[[Any], Any]] = None,
        index_to_filename: Optional[Callable[[Any, int], str]] = None,
        filenames: Optional[List[str]] = None,
        tqdm_args: Optional[Dict[str, Any]] = None,
        num_workers_video_frame_counting: int = 0,
        on_error: str = "raise",
    ):
        self.input_dir = input_dir
        # Keep only the listed files (Lightly's `filenames`): a membership test on full paths.
        is_valid_file = None
        if filenames is not None:
            is_valid_file = {os.path.join(input_dir, filename) for filename in filenames}.__contains__

        if self.input_dir is not None:
            self.dataset = _load_dataset_from_folder(
                self.input_dir,
                transform,
                is_valid_file=is_valid_file,
                tqdm_args=tqdm_args,
                num_workers_video_frame_counting=num_workers_video_frame_counting,
                on_error=on_error,
            )
        elif transform is not None:
            raise ValueError(f"transform must be None when input_dir is None but is {transform}")

        self.index_to_filename = index_to_filename if index_to_filename is not None else _get_filename_by_index

    @classmethod
    def from_torch_dataset(
        cls,
        dataset: Any,
        transform: Optional[Callable[[Any], Any]] = None,
        index_to_filename: Optional[Callable[[Any, int], str]] = None,
    ) -> "LightlyDataset":
        """Builds a LightlyDataset from a PyTorch (or torchvision) dataset.

        Args:
            dataset: The dataset; its items are (sample, target) pairs.
            transform: If given, set as the transform of ``dataset``.
            index_to_filename: Function (dataset, index) -> filename; defaults
                to ``str(index)``.

        Returns:
            A LightlyDataset wrapping ``dataset``.

        Example:
            >>> import torchvision
            >>> base = torchvision.datasets.FakeData(size=10)
            >>> dataset = LightlyDataset.from_torch_dataset(base)
            >>> dataset.get_filenames()[:2]
            ['0', '1']
        """
        dataset_obj = cls(None, index_to_filename=index_to_filename)
        if transform is not None:
            dataset.transform = transform
            # A VisionDataset applies its transforms through ``transforms``.
            if isinstance(dataset, VisionDataset):
                dataset.transforms = StandardTransform(transform, dataset.target_transform)
        dataset_obj.dataset = dataset
        return dataset_obj

    def __getitem__(self, index: int):
        """Returns (sample, target, filename) of the item at ``index``."""
        fname = self.index_to_filename(self.dataset, index)
        sample, target = self.dataset[index]
        return sample, target, fname

    def __len__(self) -> int:
        """Returns the number of samples."""
        return len(self.dataset)

    def __add__(self, other: Any):
        """Not supported, as in Lightly."""
        raise NotImplementedError()

    def get_filenames(self) -> List[str]:
        """Returns the filenames of all samples, in dataset order."""
        if hasattr(self.dataset, "get_filenames"):
            return self.dataset.get_filenames()
        return [self.index_to_filename(self.dataset, index) for index in range(len(self))]

    def dump(self, output_dir: str, filenames: Optional[List[str]] = None, format: Optional[str] = None) -> None:
        """Saves the images of the dataset to ``output_dir``.

        Image files are copied; frames of videos and samples of torch datasets
        are saved with ``format`` (by default derived from the filename, png
        when that fails).

        Args:
            output_dir: Output folder, created if needed.
            filenames: Filenames of the images to save; None saves all.
            format: Any Pillow image format (png, jpeg, ...).

        Raises:
            RuntimeError: The dataset applies a transform.
        """
        if self.dataset.transform is not None:
            raise RuntimeError("Cannot dump dataset which applies transforms!")
        os.makedirs(output_dir, exist_ok=True)

        if filenames is None:
            indices = list(range(len(self)))
            filenames = self.get_filenames()
        else:
            # Lightly pairs the indices of the wanted files (in dataset order)
            # with the sorted wanted filenames; kept as is for identical output.
            filenames = sorted(filenames)
            indices = []
            for index, filename in enumerate(self.get_filenames()):
                position = bisect.bisect_left(filenames, filename)
                if position < len(filenames) and filenames[position] == filename:
                    indices.append(index)

        for index, filename in zip(indices, filenames):
            _dump_image(self.dataset, output_dir, filename, index, fmt=format)

    def get_filepath_from_filename(self, filename: str, image: Optional[Image.Image] = None) -> str:
        """Returns a path to the image named ``filename``.

        The file in ``input_dir`` when it exists; otherwise (video frames, torch
        datasets) ``image`` is saved as ``<tempdir>/<filename>.jpg``.

        Raises:
            ValueError: The file does not exist and ``image`` is None.
        """
        if isinstance(getattr(self, "input_dir", None), str):
            path_to_image = os.path.join(self.input_dir, filename)
            if os.path.isfile(path_to_image):
                return path_to_image

        if image is None:
            raise ValueError("The parameter image must not be None for VideoDatasets and TorchDatasets")

        filepath = os.path.join(tempfile.mkdtemp(), filename) + ".jpg"
        os.makedirs(os.path.dirname(filepath), exist_ok=True)
        image.save(filepath)
        return filepath

    @property
    def transform(self) -> Optional[Callable[[Any], Any]]:
        """The transform of the wrapped dataset."""
        return self.dataset.transform

    @transform.setter
    def transform(self, t: Optional[Callable[[Any], Any]]) -> None:
        self.dataset.transform = t


def _get_filename_by_index(dataset: Any, index: int) -> str:
    """Default filename of the sample at ``index``."""
    if isinstance(dataset, datasets.ImageFolder):
        return os.path.relpath(dataset.imgs[index][0], dataset.root)
    if isinstance(dataset, DatasetFolder):
        return os.path.relpath(dataset.samples[index][0], dataset.root)
    if isinstance(dataset, VideoDataset):
        return dataset.get_filename(index)
    return str(index)


def _copy_image(input_dir: str, output_dir: str, filename: str) -> None:
    target = os.path.join(output_dir, filename)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(os.path.join(input_dir, filename), target)


def _save_image(image: Image.Image, output_dir: str, filename: str, fmt: Optional[str]) -> None:
    target = os.path.join(output_dir, filename)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        image.save(target, format=fmt)
    except ValueError:  # no format given and none can be derived from the filename
        image.save(target, format="png")


def _dump_image(dataset: Any, output_dir: str, filename: str, index: int, fmt: Optional[str]) -> None:
    """Copies an image file, or saves a loaded image (video frames, torch datasets)."""
    if isinstance(dataset, (datasets.ImageFolder, DatasetFolder)):
        _copy_image(dataset.root, output_dir, filename)
    else:
        image, _ = dataset[index]
        _save_image(image, output_dir, filename, fmt)
