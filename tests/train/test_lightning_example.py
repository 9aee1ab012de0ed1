"""examples/lightning_simclr.py: FastLoader and fastssl modules inside a Lightning Trainer."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from fastssl import _ext

pytest.importorskip("pytorch_lightning")
pytestmark = pytest.mark.skipif(not _ext.cpp_extension().available, reason="fastssl._C not built")

EXAMPLE = Path(__file__).parents[2] / "examples" / "lightning_simclr.py"


def test_lightning_trainer_fits_on_fast_loader(class_folder):
    spec = importlib.util.spec_from_file_location("lightning_simclr", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    trainer = example.main(["--data", str(class_folder()), "--epochs", "2", "--batch-size", "4",
                            "--input-size", "32", "--num-threads", "2"])
    assert trainer.global_step == 8  # 16 images, 4 batches per epoch, 2 epochs
    assert torch.isfinite(trainer.callback_metrics["train_loss_ssl"])
    assert trainer.train_dataloader.backend == "cpp"  # the engine, not the reference path
