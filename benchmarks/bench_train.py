"""How fast does a full SimCLR training step run when FastLoader feeds it, vs the reference DataLoader?

One interleaved run: the same SimCLR model (fastssl.train's, backbone + projection
head + NT-Xent, SGD step) trained on batches from
- ``fastssl``: FastLoader on the C++ engine (uint8 batches normalized on the GPU when there is one);
- ``reference wK``: a torch DataLoader with K workers over the same LightlyDataset and transform.
Besides images/s it reports the share of step time spent waiting for the next
batch (on a GPU each step is synchronized, so the split is exact).

    # CPU (small model input; the model dominates a CPU step):
    python benchmarks/bench_train.py --data benchmarks/data/photos2000 --input-size 96
    # one GPU, the issue's setting:
    python benchmarks/bench_train.py --data DIR --backbone resnet50 --input-size 224 --batch-size 256 \
        --images 5120 --workers 8,16 --threads 16
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import torch
from torch.utils.data import DataLoader

from _harness import Provider, Result, add_run_arguments, run_benchmark
from bench_loader import DATA_DIR, _spread_subset
from fastssl.data import FastLoader, LightlyDataset
from fastssl.train import build_backbone, build_method
from fastssl.train.distributed import resolve_device
from make_dataset import make_dataset



class TrainingStep:
    """One SimCLR step (forward, backward, SGD) on a batch of views; records time spent waiting for data."""

    def __init__(self, backbone: str, input_size: int, device: torch.device):
        self.device = device
        self.method = build_method("simclr", build_backbone(backbone, input_size)).to(device)
        self.optimizer = torch.optim.SGD(self.method.parameters(), lr=0.01, momentum=0.9)
        self.wait_shares: Dict[str, List[float]] = {}

    def epoch(self, name: str, loader) -> int:
        images, waited = 0, 0.0
        start = time.perf_counter()
        batches = iter(loader)
        while True:
            before = time.perf_counter()
            batch = next(batches, None)
            waited += time.perf_counter() - before
            if batch is None:
                break
            views = [view.to(self.device, non_blocking=True) for view in batch[0]]
            loss = self.method(views, epoch=0)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            if self.device.type == "cuda":
                torch.cuda.synchronize()
            images += views[0].shape[0]
        self.wait_shares.setdefault(name, []).append(waited / (time.perf_counter() - start))
        return images


def main(argv: Optional[Sequence[str]] = None) -> List[Result]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data", type=Path, help="image folder (default: generate one)")
    parser.add_argument("--backbone", default="resnet18")
    parser.add_argument("--input-size", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--images", type=int, default=128, help="images per timed run")
    parser.add_argument("--workers", default="2", help="reference DataLoader num_workers values")
    parser.add_argument("--threads", type=int, default=None, help="FastLoader threads (default: all cores)")
    parser.add_argument("--device", default="auto")
    add_run_arguments(parser, "train", runs=3, quick_help="smoke run: few images, 1 run")
    args = parser.parse_args(argv)
    if args.quick:
        args.images, args.batch_size, args.runs, args.warmup, args.input_size = 8, 4, 1, 0, 32
    n = 64 if args.quick else 2000
    data = args.data or make_dataset(DATA_DIR / f"synthetic{n}", n=n)
    device = resolve_device(args.device)

    from fastssl.transforms import SimCLRTransform

    dataset = LightlyDataset(str(data), transform=SimCLRTransform(input_size=args.input_size))
    subset = _spread_subset(dataset, args.images)
    step = TrainingStep(args.backbone, args.input_size, device)
    fast = FastLoader(subset, batch_size=args.batch_size, num_threads=args.threads, backend="cpp",
                      device=device if device.type == "cuda" else None)
    providers: Dict[str, Provider] = {"fastssl": lambda: step.epoch("fastssl", fast)}
    for workers in (int(w) for w in args.workers.split(",")):
        reference = DataLoader(subset, batch_size=args.batch_size, num_workers=workers,
                               persistent_workers=workers > 0, pin_memory=device.type == "cuda")
        providers[f"reference w{workers}"] = lambda name=f"reference w{workers}", loader=reference: \
            step.epoch(name, loader)
    baseline = f"reference w{args.workers.split(',')[-1]}"
    print(f"{args.backbone} at {args.input_size}px on {device}, batch {args.batch_size}, {args.images} images/run, "
          f"{args.runs} runs, data {data}")
    results = run_benchmark(args.name, providers, baseline, args.runs, args.warmup, "images/s", args.results)
    print("\n| loader | share of step time waiting for data (median) |\n|---|---|")
    for name, shares in step.wait_shares.items():
        print(f"| {name} | {100 * sorted(shares)[len(shares) // 2]:.1f}% |")
    return results


if __name__ == "__main__":
    main()
