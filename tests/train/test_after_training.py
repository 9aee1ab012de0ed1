"""Embeddings, kNN, nearest images, diverse subsets and export, where the right answer is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from fastssl.train import build_backbone, train
from fastssl.train.checkpoint import backbone_state_dict, load_checkpoint
from fastssl.train.embeddings import Embeddings, embed_file, embed_folder, eval_transform, load_backbone
from fastssl.train.neighbors import k_center_greedy, knn_accuracy, most_similar, split_indices

from .conftest import tiny_run


def _near_duplicate_folder(root, count=6, size=48):
    """``img_i.png`` random images and ``img_i_copy.jpg``, each a noisy JPEG of its original."""
    rng = np.random.default_rng(1)
    root.mkdir()
    for i in range(count):
        pixels = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
        image = Image.fromarray(pixels).resize((size, size), Image.BICUBIC)
        image.save(root / f"img_{i}.png")
        noisy = np.clip(np.asarray(image, dtype=np.float64) + rng.normal(0, 4, (size, size, 3)), 0, 255)
        Image.fromarray(noisy.astype(np.uint8)).save(root / f"img_{i}_copy.jpg", quality=90)
    return root


def test_near_duplicates_are_nearest_neighbours(tmp_path):
    torch.manual_seed(0)
    backbone = build_backbone("resnet18", 32).module
    embeddings = embed_folder(backbone, _near_duplicate_folder(tmp_path / "dups"), 32, batch_size=5, device="cpu")
    assert embeddings.vectors.shape == (12, 512) and embeddings.vectors.dtype == np.float32
    for index, name in enumerate(embeddings.filenames):
        order, similarity = most_similar(embeddings.vectors, embeddings.vectors[index], k=2)
        assert order[0] == index and similarity[0] == pytest.approx(1.0, abs=1e-5)
        partner = name.replace("_copy.jpg", ".png") if "_copy" in name else name.replace(".png", "_copy.jpg")
        assert embeddings.filenames[order[1]] == partner
    single = embed_file(backbone, tmp_path / "dups" / "img_3.png", 32, device="cpu")
    np.testing.assert_allclose(single, embeddings.vectors[embeddings.index_of("img_3.png")], rtol=1e-4, atol=1e-5)


def test_eval_transform_is_the_centred_square(tmp_path):
    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (30, 50, 3), dtype=np.uint8))
    expected = torchvision.transforms.Compose([
        torchvision.transforms.CenterCrop(30), torchvision.transforms.Resize(16), torchvision.transforms.ToTensor(),
        torchvision.transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])(image)
    assert torch.allclose(eval_transform(16)(image), expected, atol=1e-6)


def test_knn_separates_colour_classes(class_folder):
    torch.manual_seed(0)
    embeddings = embed_folder(build_backbone("resnet18", 32).module, class_folder(per_class=6, square=False), 32, device="cpu")
    train_idx, val_idx = split_indices(len(embeddings.labels), 0.25, seed=0)
    labels = np.array(embeddings.labels)
    accuracy = knn_accuracy(embeddings.vectors[train_idx], labels[train_idx].tolist(),
                            embeddings.vectors[val_idx], labels[val_idx].tolist(), k=3)
    assert accuracy == 1.0


def test_knn_accuracy_counts_correct_votes():
    bank = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    queries = np.array([[1.0, 0.05], [0.05, 1.0], [0.95, 0.0]])
    assert knn_accuracy(bank, [0, 0, 1, 1], queries, [0, 1, 1], k=2) == pytest.approx(2 / 3)


def test_k_center_greedy_covers_every_cluster():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(5, 16)) * 10
    sizes = [200, 50, 10, 3, 1]  # the selection must not follow the cluster sizes
    vectors = np.concatenate([centre + rng.normal(size=(n, 16)) * 0.1 for centre, n in zip(centres, sizes)])
    cluster = np.repeat(np.arange(5), sizes)
    for seed in range(5):
        chosen = k_center_greedy(vectors, 5, seed=seed)
        assert sorted(cluster[chosen]) == [0, 1, 2, 3, 4]
        assert len(set(chosen.tolist())) == 5


def test_selection_and_split_arguments():
    with pytest.raises(ValueError, match=r"n must be in \[1, 3\]"):
        k_center_greedy(np.zeros((3, 2)), 4)
    with pytest.raises(ValueError, match="val_fraction must be in"):
        split_indices(10, 1.0, seed=0)
    train_idx, val_idx = split_indices(10, 0.2, seed=0)
    assert len(val_idx) == 2 and sorted(np.concatenate([train_idx, val_idx])) == list(range(10))


def test_embeddings_save_and_load(tmp_path):
    embeddings = Embeddings(np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32), [0, 1, 1],
                            ["a.jpg", "b/c.jpg", "d.png"])
    loaded = Embeddings.load(embeddings.save(tmp_path / "emb"))
    np.testing.assert_array_equal(loaded.vectors, embeddings.vectors)
    assert (loaded.labels, loaded.filenames) == (embeddings.labels, embeddings.filenames)
    assert loaded.index_of("b/c.jpg") == 1
    with pytest.raises(ValueError, match="'x.jpg' is not among the 3 embedded files"):
        loaded.index_of("x.jpg")
    with pytest.raises(ValueError, match="no embeddings.csv in"):
        Embeddings.load(tmp_path)


def test_exported_backbone_loads_into_torchvision(class_folder, tmp_path):
    result = train(**tiny_run("simclr", class_folder(), tmp_path / "run", epochs=1))
    weights = backbone_state_dict(load_checkpoint(result.checkpoint))
    model = torchvision.models.resnet18()
    incompatible = model.load_state_dict(weights, strict=False)
    assert sorted(incompatible.missing_keys) == ["fc.bias", "fc.weight"] and not incompatible.unexpected_keys
    model.fc = torch.nn.Identity()
    backbone, input_size = load_backbone(result.checkpoint)
    x = torch.randn(2, 3, input_size, input_size)
    assert torch.equal(model.eval()(x), backbone.eval()(x))
    assert torch.equal(backbone(x), result.method.backbone.eval()(x))
