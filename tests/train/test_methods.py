"""Every method trains for 2 epochs on CPU; SimCLR's loss goes down; logs and checkpoint are written."""

from __future__ import annotations

import csv

import pytest
import torch

from fastssl.data import FastLoader, LightlyDataset
from fastssl.train import METHODS, TrainConfig, build_backbone, build_method, train
from fastssl.train.checkpoint import load_checkpoint
from fastssl.train.embeddings import load_backbone
from fastssl.transforms import SimCLRTransform

from .conftest import TINY_KWARGS, tiny_run


@pytest.mark.parametrize("method", list(METHODS))
def test_two_epochs_on_cpu(method, class_folder, tmp_path):
    result = train(**tiny_run(method, class_folder(), tmp_path / "run"))

    assert [row["epoch"] for row in result.history] == [1, 2]
    assert [row["steps"] for row in result.history] == [2, 4]  # 16 images, batches of 8
    assert all(torch.isfinite(torch.tensor(row["loss"])) for row in result.history)
    state = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert (state["epoch"], state["step"], state["config"]["method"]) == (2, 4, method)
    with open(tmp_path / "run" / "log.csv") as file:
        rows = list(csv.DictReader(file))
    assert [int(row["epoch"]) for row in rows] == [1, 2]
    assert set(rows[0]) == {"epoch", "steps", "loss", "images_per_s", "data_wait_share", "lr", "seconds"}
    assert (tmp_path / "run" / "log.png").stat().st_size > 1000


def test_simclr_loss_decreases(class_folder, tmp_path):
    # Augmentations mild enough for 40-pixel images to be learnable in 8 steps.
    transform = SimCLRTransform(input_size=32, min_scale=0.5, gaussian_blur=0.0, cj_strength=0.2)
    settings = tiny_run("simclr", class_folder(per_class=8), tmp_path / "run", optimizer="sgd", lr=2.0,
                        method_kwargs={"hidden_dim": 64, "output_dim": 32, "temperature": 0.5})
    result = train(**settings, transform=transform)
    first, second = (row["loss"] for row in result.history)
    assert second < first - 0.1, (first, second)


def test_dino_trains_a_vit_on_multi_crop(class_folder, tmp_path):
    result = train(**tiny_run("dino", class_folder(), tmp_path / "run", backbone="vit_tiny_16", epochs=1))
    assert result.method.optimizer_recipe().name == "adamw"  # the paper's ViT recipe
    assert torch.isfinite(torch.tensor(result.history[0]["loss"]))


def test_user_backbone_module(class_folder, tmp_path):
    backbone = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2), torch.nn.ReLU(),
                                   torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    settings = tiny_run("byol", class_folder(), tmp_path / "run", epochs=1)
    del settings["backbone"]
    result = train(**settings, backbone=backbone)
    assert result.method.backbone is backbone and result.method.feature_dim == 8
    assert load_checkpoint(result.checkpoint)["config"]["backbone"] == "custom:Sequential"
    with pytest.raises(ValueError, match="was trained on a user module \\(custom:Sequential\\)"):
        load_backbone(result.checkpoint)


def test_compiled_backbone_trains_and_keeps_its_state_dict_keys(class_folder, tmp_path):
    backbone = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2), torch.nn.ReLU(),
                                   torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    settings = tiny_run("simclr", class_folder(), tmp_path / "run", epochs=1, compile=True)
    del settings["backbone"]
    result = train(**settings, backbone=backbone)
    assert torch.isfinite(torch.tensor(result.history[0]["loss"]))
    assert "backbone.0.weight" in load_checkpoint(result.checkpoint)["method"]  # no "_orig_mod." prefix


def test_timm_backbone(class_folder, tmp_path):
    pytest.importorskip("timm")
    result = train(**tiny_run("simclr", class_folder(), tmp_path / "run", epochs=1, backbone="timm/resnet18"))
    assert result.method.feature_dim == 512 and torch.isfinite(torch.tensor(result.history[0]["loss"]))


def _gradients_at_each_step(monkeypatch) -> list:
    """Records the gradients every optimizer step sees (patched into the method's hook)."""
    from fastssl.train.methods.contrastive import SimCLR

    seen = []
    monkeypatch.setattr(SimCLR, "on_after_backward", lambda self, epoch: seen.append(
        {name: p.grad.clone() for name, p in self.named_parameters() if p.grad is not None}))
    return seen


def test_gradient_accumulation_averages_its_batches(class_folder, tmp_path, monkeypatch):
    seen = _gradients_at_each_step(monkeypatch)
    settings = tiny_run("simclr", class_folder(), tmp_path / "run", batch_size=4, accumulate=2, epochs=1)
    result = train(**settings)
    assert result.history[0]["steps"] == len(seen) == 2  # 4 batches of 4, 2 per optimizer step

    # The first step's gradient is the mean of those of batches 0 and 1, computed one by one.
    torch.manual_seed(0)
    method = build_method("simclr", build_backbone("resnet18", 32), **TINY_KWARGS["simclr"])
    loader = FastLoader(LightlyDataset(settings["data"], transform=method.transform(32)), batch_size=4,
                        shuffle=True, drop_last=True, num_threads=2)
    batches = iter(loader)
    for _ in range(2):
        (method(next(batches)[0], 0) / 2).backward()
    for name, grad in seen[0].items():
        assert torch.allclose(grad, dict(method.named_parameters())[name].grad, rtol=1e-4, atol=1e-6), name


def test_skipped_files_do_not_carry_gradients_into_the_next_step(class_folder, tmp_path, monkeypatch):
    data = class_folder()
    dataset = LightlyDataset(str(data), transform=SimCLRTransform(input_size=32))
    *_, (_, _, last_batch) = FastLoader(dataset, batch_size=4, shuffle=True, drop_last=True, num_threads=1)
    for name in last_batch:  # every file of the epoch's last batch becomes unreadable
        (data / name).write_bytes(b"")
    seen = _gradients_at_each_step(monkeypatch)
    with pytest.warns(RuntimeWarning, match="skipping"):
        result = train(**tiny_run("simclr", data, tmp_path / "run", batch_size=4, accumulate=2, epochs=1,
                                  on_error="skip"))
    assert result.history[0]["steps"] == len(seen) == 2  # the second step takes batch 2 alone
    assert all(p.grad is None for p in result.method.parameters())


def test_bf16_autocast_and_channels_last_on_cpu(class_folder, tmp_path):
    result = train(**tiny_run("simclr", class_folder(), tmp_path / "run", epochs=1, precision="bf16",
                              channels_last=True))
    assert torch.isfinite(torch.tensor(result.history[0]["loss"]))


def test_paper_recipes():
    recipes = {name: cls.recipe for name, cls in METHODS.items()}
    assert recipes["simclr"].name == "lars" and recipes["simclr"].base_lr == 0.3
    assert recipes["moco"].name == "sgd" and recipes["moco"].weight_decay == 1e-4
    assert recipes["dino"].weight_decay_end == 0.4
    dino = build_method("dino", build_backbone("resnet18", 32), **TINY_KWARGS["dino"])
    assert dino.optimizer_recipe().name == "sgd"  # the paper's ResNet-50 recipe


@pytest.mark.parametrize("settings, message", [
    (dict(method="simclr", data=""), "data must name a folder"),
    (dict(method="simclr", data="x", epochs=0), "epochs must be an int >= 1, got 0"),
    (dict(method="simclr", data="x", precision="fp8"), "precision must be one of"),
    (dict(method="simclr", data="x", optimizer="adam"), "optimizer must be one of"),
    (dict(method="simclr", data="x", lr=-1.0), "lr must be >= 0"),
])
def test_bad_settings(settings, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**settings)


def test_unknown_method_backbone_and_method_argument(class_folder, tmp_path):
    with pytest.raises(ValueError, match="unknown method 'simclrr'; choose one of: simclr, moco"):
        build_method("simclrr", build_backbone("resnet18", 32))
    with pytest.raises(ValueError, match="unknown backbone 'resnet19'"):
        build_backbone("resnet19", 32)
    with pytest.raises(ValueError, match="method 'simclr':.*'num_prototypes'"):
        build_method("simclr", build_backbone("resnet18", 32), num_prototypes=3)
    with pytest.raises(ValueError, match="needs an input size divisible by 16"):
        build_backbone("vit_tiny_16", 40)


def test_fp16_on_cpu_is_refused(class_folder, tmp_path):
    with pytest.raises(ValueError, match="precision 'fp16' needs a CUDA device"):
        train(**tiny_run("simclr", class_folder(), tmp_path / "run", precision="fp16"))


def test_too_few_images_for_one_batch(class_folder, tmp_path):
    with pytest.raises(ValueError, match="has 16 images: fewer than one batch of 32"):
        train(**tiny_run("simclr", class_folder(), tmp_path / "run", batch_size=32))
