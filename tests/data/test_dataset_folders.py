"""LightlyDataset on image folders, compared with Lightly 1.6.0 on the same folders."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torchvision
from lightly.data import LightlyDataset as LtDataset
from torchvision import transforms as T

from fastssl.data import LightlyDataset


def _outcome(make):
    """(dataset, None) or (None, (error type, message)) of ``make()``."""
    try:
        return make(), None
    except Exception as error:  # compared with Lightly's error below
        return None, (type(error), str(error))


def assert_same_as_lightly(input_dir, **kwargs):
    """Builds both datasets and checks filenames, order, targets and pixels agree."""
    ours, our_error = _outcome(lambda: LightlyDataset(input_dir, **kwargs))
    theirs, their_error = _outcome(lambda: LtDataset(input_dir, **kwargs))
    assert our_error == their_error
    if theirs is None:
        return None
    assert ours.get_filenames() == theirs.get_filenames()
    assert len(ours) == len(theirs)
    for index in range(len(theirs)):
        sample, target, fname = ours[index]
        lt_sample, lt_target, lt_fname = theirs[index]
        assert (fname, target) == (lt_fname, lt_target)
        np.testing.assert_array_equal(np.asarray(sample), np.asarray(lt_sample))
    return ours


def _flat_odd(root, write_image):
    write_image(root / "b.jpg", seed=1)
    write_image(root / "A.JPG", seed=2, format="JPEG")
    write_image(root / "c.Png", seed=3, format="PNG")
    write_image(root / "d.jpeg", seed=4)
    write_image(root / "e.bmp", seed=5)
    write_image(root / "f.TIFF", seed=6, format="TIFF")
    write_image(root / "g.webp", seed=7)
    write_image(root / "h.ppm", seed=8)
    write_image(root / "i.pgm", seed=9, mode="L")
    write_image(root / ".hidden.png", seed=10)
    write_image(root / "ñandú_图像 ü.png", seed=11)
    write_image(root / "x.gif", seed=12)  # not a Lightly extension: ignored
    (root / "notes.txt").write_text("not an image")
    (root / "noext").write_bytes(b"\x00")
    os.symlink(root / "b.jpg", root / "link.png")
    # lightly_outputs folders do not make the folder nested
    write_image(root / "lightly_outputs" / "out.png", seed=13)
    write_image(root / "my_lightly_outputs_2" / "out.png", seed=14)


def _nested_odd(root, write_image):
    write_image(root / "b" / "1.png", seed=1)
    write_image(root / "b" / "deep" / "deeper" / "2.JPG", seed=2, format="JPEG")
    write_image(root / "b" / "0.jpg", seed=3)
    write_image(root / "B" / "x.png", seed=4)  # sorts before "a" and "b"
    write_image(root / "a" / ".hidden.png", seed=5)
    write_image(root / "a" / "ü图" / "z.png", seed=6)
    (root / "a" / "readme.md").write_text("not an image")
    write_image(root / ".hidden_dir" / "h.png", seed=7)
    write_image(root / "lightly_outputs" / "o.png", seed=8)  # a class for ImageFolder
    write_image(root / "root_file.png", seed=9)  # files in the root are ignored
    outside = root.parent / f"{root.name}_outside"
    write_image(outside / "s.png", seed=10)
    write_image(outside / "t.png", seed=11)
    os.symlink(outside, root / "linked_dir")
    os.symlink(root / "b" / "1.png", root / "B" / "link.png")


LAYOUTS = {
    "flat_odd_names": _flat_odd,
    "nested_odd_names": _nested_odd,
}


@pytest.mark.parametrize("layout", list(LAYOUTS), ids=list(LAYOUTS))
def test_layout_matches_lightly(tmp_path, write_image, layout):
    root = tmp_path / "data"
    LAYOUTS[layout](root, write_image)
    ours = assert_same_as_lightly(str(root))
    assert len(ours) > 5


def test_flat_folder_lists_sorted_paths_with_label_0(tmp_path, write_image):
    for name in ["c.png", "a.png", "B.png"]:
        write_image(tmp_path / name)
    dataset = LightlyDataset(str(tmp_path))
    assert dataset.get_filenames() == ["B.png", "a.png", "c.png"]
    assert [dataset[i][1] for i in range(3)] == [0, 0, 0]
    assert dataset.dataset.samples[0] == (os.path.join(str(tmp_path), "B.png"), 0)


def test_nested_folder_labels_are_sorted_folder_indices(tmp_path, write_image):
    write_image(tmp_path / "dog" / "1.png")
    write_image(tmp_path / "cat" / "deep" / "2.png")
    dataset = LightlyDataset(str(tmp_path))
    assert dataset.get_filenames() == [os.path.join("cat", "deep", "2.png"), os.path.join("dog", "1.png")]
    assert [target for _, target, _ in dataset] == [0, 1]
    assert isinstance(dataset.dataset, torchvision.datasets.ImageFolder)
    assert [label for _, label in dataset.dataset.samples] == [0, 1]


@pytest.mark.parametrize("trailing_slash", [False, True], ids=["plain", "trailing_slash"])
def test_input_dir_spelling_matches_lightly(tmp_path, write_image, trailing_slash):
    write_image(tmp_path / "a.png")
    write_image(tmp_path / "sub" / "b.png")
    write_image(tmp_path / "flat" / "c.png")
    suffix = os.sep if trailing_slash else ""
    assert_same_as_lightly(str(tmp_path) + suffix)
    assert_same_as_lightly(str(tmp_path / "flat") + suffix)


@pytest.mark.parametrize("nested", [False, True], ids=["flat", "nested"])
def test_filenames_filter_matches_lightly(tmp_path, write_image, nested):
    prefix = "cls/" if nested else ""
    for i in range(5):
        write_image(tmp_path / f"{prefix}{i}.png", seed=i)
    (tmp_path / f"{prefix}notes.txt").write_text("listed but not an image")
    wanted = [f"{prefix}3.png", f"{prefix}1.png", f"{prefix}missing.png", f"{prefix}notes.txt"]
    ours = LightlyDataset(str(tmp_path), filenames=wanted)
    theirs = LtDataset(str(tmp_path), filenames=wanted)
    assert ours.get_filenames() == theirs.get_filenames()
    # flat folders also filter by extension, ImageFolder only by the list
    expected = [f"{prefix}1.png", f"{prefix}3.png"] + ([f"{prefix}notes.txt"] if nested else [])
    assert ours.get_filenames() == expected


def test_empty_class_folder_raises_like_lightly(tmp_path, write_image):
    write_image(tmp_path / "full" / "a.png")
    (tmp_path / "empty").mkdir()
    (tmp_path / "only_text").mkdir()
    (tmp_path / "only_text" / "a.txt").write_text("x")
    assert assert_same_as_lightly(str(tmp_path)) is None
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty, only_text"):
        LightlyDataset(str(tmp_path))


def test_flat_folder_without_images_raises_like_lightly(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    assert assert_same_as_lightly(str(tmp_path)) is None
    with pytest.raises(RuntimeError, match="Found 0 files in folder"):
        LightlyDataset(str(tmp_path))


def test_missing_folder_raises_like_lightly(tmp_path):
    missing = str(tmp_path / "does_not_exist")
    assert assert_same_as_lightly(missing) is None
    with pytest.raises(ValueError, match="does not exist"):
        LightlyDataset(missing)


def test_transform_without_input_dir_raises_like_lightly():
    transform = T.ToTensor()
    assert _outcome(lambda: LightlyDataset(None, transform=transform))[1] == _outcome(
        lambda: LtDataset(None, transform=transform)
    )[1]
    with pytest.raises(ValueError, match="transform must be None when input_dir is None"):
        LightlyDataset(None, transform=transform)


def test_transform_property_and_index_to_filename(tmp_path, write_image):
    write_image(tmp_path / "a.png", size=(8, 6))
    dataset = LightlyDataset(str(tmp_path), index_to_filename=lambda ds, i: f"item{i}")
    assert dataset.transform is None
    dataset.transform = T.ToTensor()
    sample, target, fname = dataset[0]
    assert sample.shape == (3, 6, 8) and target == 0 and fname == "item0"
    assert dataset.get_filenames() == ["item0"]


def test_from_torch_dataset_matches_lightly():
    base = torchvision.datasets.FakeData(size=5, image_size=(3, 6, 8), num_classes=3)
    transform = T.ToTensor()
    ours = LightlyDataset.from_torch_dataset(base, transform=transform)
    theirs = LtDataset.from_torch_dataset(base, transform=transform)
    assert ours.get_filenames() == theirs.get_filenames() == ["0", "1", "2", "3", "4"]
    for index in range(5):
        sample, target, fname = ours[index]
        lt_sample, lt_target, lt_fname = theirs[index]
        assert (target, fname) == (lt_target, lt_fname)
        assert np.array_equal(sample.numpy(), lt_sample.numpy())
    assert ours.transform is transform


def test_from_torch_dataset_without_transform_keeps_the_dataset():
    base = [(np.zeros(2), 7), (np.ones(2), 8)]
    dataset = LightlyDataset.from_torch_dataset(base, index_to_filename=lambda ds, i: f"n{i}")
    assert len(dataset) == 2
    assert dataset[1][1:] == (8, "n1")


@pytest.mark.parametrize("nested", [False, True], ids=["flat", "nested"])
def test_dump_copies_the_same_files_as_lightly(tmp_path, write_image, nested):
    data = tmp_path / "data"
    names = ["a/x.png", "a/y.jpg", "b/deep/z.png"] if nested else ["x.png", "y.jpg", "z.bmp"]
    for i, name in enumerate(names):
        write_image(data / name, seed=i)
    for run, subset in enumerate([None, [names[2], names[0]]]):
        out_ours, out_theirs = tmp_path / f"ours{run}", tmp_path / f"theirs{run}"
        LightlyDataset(str(data)).dump(str(out_ours), filenames=subset)
        LtDataset(str(data)).dump(str(out_theirs), filenames=subset)
        assert _tree(out_ours) == _tree(out_theirs)
        assert len(_tree(out_ours)) > 0


def test_dump_of_torch_dataset_saves_images_like_lightly(tmp_path):
    base = torchvision.datasets.FakeData(size=3, image_size=(3, 6, 8))
    LightlyDataset.from_torch_dataset(base).dump(str(tmp_path / "ours"), format="png")
    LtDataset.from_torch_dataset(base).dump(str(tmp_path / "theirs"), format="png")
    assert _tree(tmp_path / "ours") == _tree(tmp_path / "theirs")
    assert sorted(_tree(tmp_path / "ours")) == ["0", "1", "2"]


def test_dump_refuses_a_transform(tmp_path, write_image):
    write_image(tmp_path / "data" / "a.png")
    dataset = LightlyDataset(str(tmp_path / "data"), transform=T.ToTensor())
    with pytest.raises(RuntimeError, match="Cannot dump dataset which applies transforms"):
        dataset.dump(str(tmp_path / "out"))


def test_get_filepath_from_filename(tmp_path, write_image):
    write_image(tmp_path / "data" / "a.png")
    dataset = LightlyDataset(str(tmp_path / "data"))
    assert dataset.get_filepath_from_filename("a.png") == str(tmp_path / "data" / "a.png")
    image = dataset[0][0]
    saved = dataset.get_filepath_from_filename("sub/frame.png", image)
    assert saved.endswith(os.path.join("sub", "frame.png.jpg")) and os.path.isfile(saved)
    torch_dataset = LightlyDataset.from_torch_dataset(torchvision.datasets.FakeData(size=1))
    with pytest.raises(ValueError, match="must not be None"):
        torch_dataset.get_filepath_from_filename("0")


def _tree(root):
    """{relative path: bytes} of every file under root."""
    return {
        os.path.relpath(os.path.join(folder, name), root): open(os.path.join(folder, name), "rb").read()
        for folder, _, names in os.walk(root)
        for name in names
    }
