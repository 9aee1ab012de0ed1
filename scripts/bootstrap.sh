#!/usr/bin/env bash
# Sets up everything fastssl needs on a fresh Debian/Ubuntu machine: the system
# packages for the native build, then a virtual environment (.venv) with the
# package (built from source) and its test and benchmark extras.
set -euo pipefail
cd "$(dirname "$0")/.."

have() { dpkg -s "$1" >/dev/null 2>&1; }
need=()
# libjpeg-dev pulls in libjpeg-turbo's headers on both Debian (libjpeg62-turbo-dev) and Ubuntu (libjpeg-turbo8-dev).
have libjpeg62-turbo-dev || have libjpeg-turbo8-dev || need+=(libjpeg-dev)
have g++ || need+=(g++)
python3 -c "import ensurepip, venv" 2>/dev/null || need+=(python3-venv)
python3 -c "import os, sysconfig; assert os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h'))" \
  2>/dev/null || need+=(python3-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else
    echo "fastssl needs these system packages, and installing them needs root: ${need[*]}" >&2
    exit 1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
.venv/bin/python -m fastssl info
