#!/usr/bin/env bash
# Sets up everything fastssl needs on a fresh Debian/Ubuntu machine: the system
# libraries for the native build, then a virtual environment (.venv) with the
# package (built from source) and its test and benchmark extras.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in libjpeg62-turbo-dev g++; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  # Ubuntu names the package libjpeg-turbo8-dev.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" \
    || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libjpeg-turbo8-dev g++
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test,bench]"
.venv/bin/python -m fastssl info
