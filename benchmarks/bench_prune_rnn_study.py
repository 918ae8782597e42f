"""Recurrent pruning study wall time: the whole ``demo`` preset end to end on 2 workers.

    PYTHONPATH=. /work/main/.venv/bin/python benchmarks/bench_prune_rnn_study.py [--repeats 3]

Times :func:`ingest.rnn_pruning_study.run_rnn_pruning_study` on a fresh warehouse: base
models (4 cells × repeats), then 4 × 3 × repeats runs of 10 p × 3 budgets with features on
landing, and the ``pruning-rnn`` report. Target: under 10 minutes on 2 cores. The machine's
load (``os.getloadavg``) is printed before and after: on a shared machine the wall time says
as much about the neighbours as about the study. For one sweep vs one training epoch see
``benchmarks/bench_rnn_prune.py``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from app.reports import create_report
from ingest.rnn_pruning_study import make_study_config, run_rnn_pruning_study


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=None, help="default: the preset's")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    config = make_study_config("demo", repeats=args.repeats)
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.duckdb"
        start = time.perf_counter()
        summary = run_rnn_pruning_study(config, db=db, workers=args.workers)
        study_seconds = time.perf_counter() - start
        start = time.perf_counter()
        create_report("pruning-rnn", db, out=Path(folder) / "docs")
        report_seconds = time.perf_counter() - start
    print(f"load average after: {os.getloadavg()}")
    print(
        f"demo preset ({config.repeats} repeats): {summary.trained} runs, "
        f"{len(summary.failed)} failed, in {study_seconds:.0f} s (target < 600 s); "
        f"report {report_seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
