#!/usr/bin/env bash
# The main job: set up .venv, generate an ImageNet-like image set (from the
# shared photographs when present, synthetic otherwise) and measure images/s of
# every loading path side by side. Extra arguments go to bench_loader.py.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
photos=../shared/data/photos
data=benchmarks/data/set2000
if [ -d "$photos" ]; then
  .venv/bin/python benchmarks/make_dataset.py --out "$data" --n 2000 --photos "$photos"
else
  .venv/bin/python benchmarks/make_dataset.py --out "$data" --n 2000
fi
.venv/bin/python benchmarks/bench_loader.py --data "$data" --transforms simclr,dino --workers 0,1,2 \
  --images 256 --runs 3 --torch-threads 1 "$@"
