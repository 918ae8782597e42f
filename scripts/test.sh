#!/usr/bin/env bash
# README command 2: set up (with test extras and Chromium for the browser test), lint, run tests.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh test,ray,nasbench
venv="${SPARSESCOPE_VENV:-.venv}"
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing and cannot be installed here (need root + apt-get)" >&2
  fi
fi
"$venv/bin/ruff" check .
"$venv/bin/ruff" format --check .
exec "$venv/bin/python" -m pytest -n 2 "$@"
