"""SimCLR in PyTorch Lightning, fed by fastssl's FastLoader.

The LightningModule is Lightly's SimCLR example with ``lightly`` replaced by
``fastssl``; the only other change is the loader, built in ``train_dataloader``
so that under a multi-GPU Lightning strategy it sees the process group and
shards the data like a DistributedSampler.

    python examples/lightning_simclr.py --data path/to/images --epochs 10
"""

from __future__ import annotations

import argparse
from typing import List, Optional

import pytorch_lightning as pl
import torch
import torchvision
from torch import nn

from fastssl.data import FastLoader, LightlyDataset
from fastssl.loss import NTXentLoss
from fastssl.models.modules.heads import SimCLRProjectionHead
from fastssl.transforms import SimCLRTransform


class SimCLR(pl.LightningModule):
    def __init__(self, data: str, input_size: int = 224, batch_size: int = 256, num_threads: Optional[int] = None,
                 lr: float = 0.06):
        super().__init__()
        resnet = torchvision.models.resnet18()
        self.backbone = nn.Sequential(*list(resnet.children())[:-1])
        self.projection_head = SimCLRProjectionHead(512, 2048, 128)
        self.criterion = NTXentLoss()
        self.data, self.input_size, self.batch_size = data, input_size, batch_size
        self.num_threads, self.lr = num_threads, lr

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.projection_head(self.backbone(x).flatten(start_dim=1))

    def training_step(self, batch, batch_index: int) -> torch.Tensor:
        (x0, x1), _, _ = batch
        loss = self.criterion(self(x0), self(x1))
        self.log("train_loss_ssl", loss, prog_bar=True)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.lr, momentum=0.9)

    def train_dataloader(self) -> FastLoader:
        dataset = LightlyDataset(self.data, transform=SimCLRTransform(input_size=self.input_size))
        return FastLoader(dataset, batch_size=self.batch_size, shuffle=True, drop_last=True,
                          num_threads=self.num_threads)


def main(argv: Optional[List[str]] = None) -> pl.Trainer:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="folder of images")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--input-size", type=int, default=224)
    parser.add_argument("--num-threads", type=int, default=None, help="loader threads (default: all cores)")
    args = parser.parse_args(argv)
    model = SimCLR(args.data, args.input_size, args.batch_size, args.num_threads)
    trainer = pl.Trainer(max_epochs=args.epochs, accelerator="auto", devices=1, logger=False,
                         enable_checkpointing=False)
    trainer.fit(model)
    return trainer


if __name__ == "__main__":
    main()
