#!/usr/bin/env bash
# Create ./.venv (or $SPARSESCOPE_VENV) and install sparsescope with the given extras.
# torch is pinned to the CPU build 2.13.0 first, so nothing pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${SPARSESCOPE_VENV:-.venv}"
extras="${1:-}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "torch==2.13.0"
if [ -n "$extras" ]; then
  "$venv/bin/python" -m pip install --quiet -e ".[$extras]"
else
  "$venv/bin/python" -m pip install --quiet -e .
fi
echo "sparsescope installed in $venv"
