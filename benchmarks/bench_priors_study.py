"""Priors study wall time: the whole ``demo`` preset, and one ``paper`` network per epoch.

    python benchmarks/bench_priors_study.py [--skip-demo] [--cells gru,tanh]

The demo target (issue 3) is under 5 minutes on 2 cores. The paper-preset line trains one
network of the paper's set-up (25,000 sequences, batch 32) for one epoch per cell type, on a
Barabási–Albert and a Watts–Strogatz graph of 30 vertices, in one process with one thread —
the cost of one job of the 800-job study, per epoch.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from ingest.generators import GraphSpec
from ingest.priors_config import make_config
from ingest.priors_study import run_priors_study
from ingest.priors_training import PriorsJob, train_priors_network
from warehouse.records import StudyRecord


def time_demo() -> float:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        summary = run_priors_study(make_config("demo"), db=Path(folder) / "demo.duckdb")
        seconds = time.perf_counter() - start
    print(f"demo preset: {summary.trained} networks in {seconds:.0f} s (target < 300 s)")
    return seconds


def time_paper_epoch(cells: list[str]) -> None:
    torch.set_num_threads(1)
    config = replace(make_config("paper"), epochs=1)
    study = StudyRecord(id="bench", kind="priors")
    print("paper preset, one network, one epoch (25,000 sequences incl. evaluation):")
    for spec in (GraphSpec("ba", 30, {}, 1), GraphSpec("ws", 30, {}, 1)):
        for cell in cells:
            job = PriorsJob(spec=spec, cell=cell, config=config, study=study)
            start = time.perf_counter()
            record = train_priors_network(job)
            seconds = time.perf_counter() - start
            acc = [m.value for m in record.metrics if (m.split, m.metric) == ("test", "acc")][-1]
            print(f"  {cell:5s} {spec.key:45s} {seconds:6.1f} s/epoch  test_acc {acc:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--cells", default="tanh,relu,lstm,gru")
    args = parser.parse_args()
    if not args.skip_demo:
        time_demo()
    time_paper_epoch(args.cells.split(","))


if __name__ == "__main__":
    main()
