"""How much memory does each loading path hold while it feeds a training loop?

Each provider runs in its own fresh process, loads `--batches` batches and reports
the peak PSS (proportional set size: shared pages counted once across a process
and its DataLoader workers) of that process tree, sampled every 10 ms.

    python benchmarks/bench_memory.py --data benchmarks/data/photos2000 --transform simclr --workers 2
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

from _harness import RESULTS_DIR

# Runs inside the child process: build the loader, load, report peak PSS (MiB).
CHILD = r"""
import json, os, sys, threading, time
import torch
from torch.utils.data import DataLoader

def tree_pss_kib(pid):
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += next(int(l.split()[1]) for l in f if l.startswith("Pss:"))
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            pass
    return total

args = json.loads(sys.argv[1])
peak = [0]
done = threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], tree_pss_kib(os.getpid()))
        time.sleep(0.01)

package = "lightly" if args["loader"] == "lightly" else "fastssl"
transforms = __import__(f"{package}.transforms", fromlist=["x"])
data = __import__(f"{package}.data", fromlist=["x"])
cls, size_arg = {"simclr": ("SimCLRTransform", "input_size"), "dino": ("DINOTransform", "global_crop_size")}[args["transform"]]
dataset = data.LightlyDataset(input_dir=args["data"], transform=getattr(transforms, cls)(**{size_arg: 224}))
if args["loader"] == "engine":
    loader = data.FastLoader(dataset, batch_size=args["batch_size"], shuffle=True, num_threads=max(1, args["workers"]))
else:
    loader = DataLoader(dataset, batch_size=args["batch_size"], shuffle=True, num_workers=args["workers"])
threading.Thread(target=sample, daemon=True).start()
for i, batch in enumerate(loader):
    if i + 1 == args["batches"]:
        break
done.set()
print(json.dumps({"peak_pss_mib": max(peak[0], tree_pss_kib(os.getpid())) / 1024}))
"""


def measure(loader: str, args: argparse.Namespace) -> float:
    config = {"loader": loader, "data": str(args.data), "transform": args.transform, "workers": args.workers,
              "batch_size": args.batch_size, "batches": args.batches}
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(config)], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"measuring {loader} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_pss_mib"]


def main(argv: List[str] = None) -> Dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="image folder")
    parser.add_argument("--transform", default="simclr", choices=["simclr", "dino"])
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers / engine threads")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=6)
    parser.add_argument("--loaders", default="fastssl,lightly,engine")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    peaks = {name: measure(name, args) for name in args.loaders.split(",")}
    print(f"peak PSS, {args.transform}, {args.workers} workers/threads, batch {args.batch_size}:")
    print("| loader | peak PSS (MiB) |\n|---|---:|")
    for name, mib in peaks.items():
        print(f"| {name} | {mib:.0f} |")
    if args.results:
        args.results.mkdir(parents=True, exist_ok=True)
        with open(args.results / "memory.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["loader", "transform", "workers", "batch_size", "peak_pss_mib"])
            for name, mib in peaks.items():
                writer.writerow([name, args.transform, args.workers, args.batch_size, f"{mib:.1f}"])
    return peaks


if __name__ == "__main__":
    main()
