"""A study for driver tests: jobs that build a small seeded graph in a moment (no torch).

Each result carries a measurement that differs every time the job runs (like wall time), so a
job run twice yields two different results for one ``(study, name)``. Run as a program it is a
driver process for fault and live-progress tests::

    python -m tests.ingest.fake_study DB JOBS SLEEP [PID_DIR|-] [GATE_DIR]

With a gate folder a job starts only once a file named after it exists there, so a test can
release the study one job at a time and watch every step, however loaded the machine is.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from ingest.study_driver import JobResult, StudyDefinition, run_study
from warehouse.records import Metric, NetworkRecord, StudyRecord, records_to_frames

STUDY = StudyRecord(id="fake-study", kind="fake", config={"purpose": "driver tests"})


@dataclass(frozen=True)
class FakeJob:
    name: str
    seed: int
    sleep: float = 0.0
    pid_dir: str | None = None  # each run writes an empty file named by its PID here
    gate_dir: str | None = None  # the job waits for a file named ``name`` here


GATE_TIMEOUT = 120.0  # seconds a gated job waits before it fails


def wait_for_gate(job: FakeJob) -> None:
    """Block until the job's gate file exists; fail after :data:`GATE_TIMEOUT` seconds."""
    gate = Path(job.gate_dir, job.name)
    deadline = time.monotonic() + GATE_TIMEOUT
    while not gate.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gate {gate} was not opened within {GATE_TIMEOUT:.0f} s")
        time.sleep(0.02)


def fake_record(job: FakeJob) -> NetworkRecord:
    """The job's network; its ``wall_time`` differs on every call."""
    graph = nx.gnm_random_graph(8 + job.seed % 5, 12, seed=job.seed)
    return NetworkRecord(
        name=job.name, graph=graph, generator="gnm", seed=job.seed,
        metrics=[Metric(1, "test", "acc", (job.seed % 10) / 10),
                 Metric(1, "", "wall_time", time.perf_counter())],
    )  # fmt: skip


def run_fake_job(job: FakeJob) -> JobResult:
    if job.pid_dir:
        Path(job.pid_dir, str(os.getpid())).touch()
    if job.gate_dir:
        wait_for_gate(job)
    time.sleep(job.sleep)
    frames = records_to_frames(STUDY.id, [fake_record(job)])
    return JobResult(job.name, {t: f.to_arrow() for t, f in frames.items()}, {"seed": job.seed})


def fake_study(
    count: int, *, sleep: float = 0.0, pid_dir: str | None = None, gate_dir: str | None = None
) -> StudyDefinition:
    jobs = [FakeJob(f"net-{i:03d}", i, sleep, pid_dir, gate_dir) for i in range(count)]
    return StudyDefinition(study=STUDY, jobs=jobs, run_job=run_fake_job)


if __name__ == "__main__":
    db, count, sleep = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    pid_dir = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] != "-" else None
    gate_dir = sys.argv[5] if len(sys.argv) > 5 else None
    definition = fake_study(count, sleep=sleep, pid_dir=pid_dir, gate_dir=gate_dir)
    summary = run_study(definition, db=db, workers=2, load_every=0.0)
    print(f"trained {summary.trained} already {summary.already_done} failed {len(summary.failed)}")
