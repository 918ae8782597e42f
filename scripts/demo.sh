#!/usr/bin/env bash
# README command 1: set up, run the structural-priors study's demo preset on generated Reber
# data, print the correlation table and open the dashboard on the results.
# Extra arguments go to `sparsescope demo` (e.g. --no-dashboard).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
venv="${SPARSESCOPE_VENV:-.venv}"
exec "$venv/bin/sparsescope" demo "$@"
