"""Progress of a run: a live bar, and a CSV log and PNG plot per epoch.

The bar shows the loss, images per second and the share of time the training
loop waited for data (the number a fast loader exists to drive to zero).
"""

from __future__ import annotations

import csv
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List

import torch
from tqdm.auto import tqdm

LOG_NAME = "log.csv"
PLOT_NAME = "log.png"
LOG_COLUMNS = ("epoch", "steps", "loss", "images_per_s", "data_wait_share", "lr", "seconds")


@dataclass
class EpochMeter:
    """Running totals of one epoch (saved in checkpoints, so a resumed epoch counts whole)."""

    images: int = 0
    batches: int = 0
    loss_sum: float = 0.0
    wait_s: float = 0.0
    seconds: float = 0.0
    _pending: List[torch.Tensor] = field(default_factory=list, repr=False)

    def add(self, loss: torch.Tensor, images: int, wait_s: float, seconds: float) -> None:
        # Losses stay on the device until read, so that logging never syncs a GPU step.
        self._pending.append(loss.detach().float())
        self.images += images
        self.batches += 1
        self.wait_s += wait_s
        self.seconds += seconds

    def mean_loss(self) -> float:
        if self._pending:
            self.loss_sum += float(torch.stack(self._pending).sum())
            self._pending.clear()
        return self.loss_sum / max(self.batches, 1)

    def images_per_s(self) -> float:
        return self.images / self.seconds if self.seconds > 0 else 0.0

    def wait_share(self) -> float:
        return self.wait_s / self.seconds if self.seconds > 0 else 0.0

    def state(self) -> Dict[str, Any]:
        self.mean_loss()
        return {key: value for key, value in asdict(self).items() if not key.startswith("_")}

    @classmethod
    def from_state(cls, state: Dict[str, Any]) -> "EpochMeter":
        return cls(**state)


class ProgressBar:
    """A tqdm bar over the batches of one epoch (silent when disabled)."""

    def __init__(self, epoch: int, epochs: int, total: int, initial: int, enabled: bool):
        self.bar = tqdm(total=total, initial=initial, desc=f"epoch {epoch + 1}/{epochs}", unit="batch",
                        disable=not enabled, dynamic_ncols=True, leave=True)
        self.last_refresh = 0.0

    def update(self, meter: EpochMeter) -> None:
        self.bar.update(1)
        now = time.perf_counter()
        if not self.bar.disable and now - self.last_refresh > 1.0:
            self.last_refresh = now
            self.bar.set_postfix(loss=f"{meter.mean_loss():.4f}", img_s=f"{meter.images_per_s():.0f}",
                                 wait=f"{100 * meter.wait_share():.0f}%")

    def close(self) -> None:
        self.bar.close()


def epoch_row(epoch: int, steps: int, lr: float, meter: EpochMeter) -> Dict[str, Any]:
    return {"epoch": epoch + 1, "steps": steps, "loss": meter.mean_loss(), "images_per_s": meter.images_per_s(),
            "data_wait_share": meter.wait_share(), "lr": lr, "seconds": meter.seconds}


def write_log(out: Path, history: List[Dict[str, Any]]) -> None:
    """Writes the CSV log and the PNG plot of loss and throughput per epoch."""
    with open(out / LOG_NAME, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=LOG_COLUMNS)
        writer.writeheader()
        writer.writerows(history)
    _plot(out / PLOT_NAME, history)


def _plot(path: Path, history: List[Dict[str, Any]]) -> None:
    import matplotlib  # imported here: only training needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [row["epoch"] for row in history]
    figure, (loss_axis, speed_axis) = plt.subplots(1, 2, figsize=(10, 4))
    loss_axis.plot(epochs, [row["loss"] for row in history], marker="o")
    loss_axis.set(xlabel="epoch", ylabel="loss", title="training loss")
    speed_axis.plot(epochs, [row["images_per_s"] for row in history], marker="o")
    speed_axis.set(xlabel="epoch", ylabel="images / s", title="throughput")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
