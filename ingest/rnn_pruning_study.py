"""The recurrent pruning study (paper, section 4.2), end to end and resumable.

Per cell type and seed a **base model** is trained once — before any of its pruning jobs
starts — and saved as a state-dict file beside the staging folder
(``<staging>/<study id>.bases/<cell>-s<seed>.pt``). Then one job per (cell, seed, target)
loads it, applies every ``p`` to the base model (not chained), re-trains 0 / 1 / 2 epochs
(:func:`ingest.rnn_pruning.prune_sweep`) and returns the run's tables
(:mod:`ingest.rnn_pruning_records`) to the generic :mod:`ingest.study_driver`, which stages
them, ingests them in batches with their features, keeps the status file and skips what is
already stored on a second run. A job whose base file is missing trains and saves it itself
(so a lone job works), but the study never lets two jobs race for one base.

With ``--executor ray`` the workers must see the staging folder (and a ``--reber-csv`` file)
at the same path: they read base models from it.

Example
-------
>>> from ingest.rnn_pruning_config import make_rnn_pruning_config
>>> config = make_rnn_pruning_config("demo", cells=("gru",), targets=("h2h",), repeats=2)
>>> [job.name for job in plan_rnn_pruning_jobs(config, study_of(config), "/tmp/s")]
['gru/s0/h2h/p100/e2', 'gru/s1/h2h/p100/e2']
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ingest.devices import check_device
from ingest.executors import run_jobs
from ingest.reber_csv import load_reber_csv, reber_rows_digest, split_reber_frame
from ingest.rnn_pruning import (
    BaseModel,
    RNNData,
    load_base_model,
    load_rnn_data,
    prune_sweep,
    save_base_model,
    train_base_model,
)
from ingest.rnn_pruning_config import RNNPruningConfig, make_rnn_pruning_config
from ingest.rnn_pruning_records import run_frames, step_name
from ingest.study_driver import (
    JobResult,
    StudyDefinition,
    StudyProgress,
    StudySummary,
    run_study,
    staging_root,
)
from warehouse import queries
from warehouse.errors import WarehouseError
from warehouse.records import StudyRecord
from warehouse.staging import staged_names

__all__ = [
    "BaseJob",
    "RNNPruningJob",
    "StudyProgress",
    "StudySummary",
    "base_model_for",
    "define_rnn_pruning_study",
    "make_study_config",
    "plan_rnn_pruning_jobs",
    "run_rnn_pruning_job",
    "run_rnn_pruning_study",
    "study_id_for",
    "study_of",
    "train_base_job",
]

KIND = "prune-rnn"


@dataclass(frozen=True)
class BaseJob:
    """Train (or load) the base model of one (cell, seed) and save it at ``path``."""

    cell: str
    seed: int
    config: RNNPruningConfig
    path: str

    @property
    def name(self) -> str:
        return f"{self.cell}/s{self.seed}/base"


@dataclass(frozen=True)
class RNNPruningJob:
    """One run: the base model of (cell, seed) pruned with ``target`` at every p."""

    cell: str
    seed: int
    target: str
    config: RNNPruningConfig
    study: StudyRecord
    base_path: str

    @property
    def name(self) -> str:
        """The run's last step network (its largest p and budget): stored iff the run is,
        since a run lands in one transaction."""
        config = self.config
        return step_name(
            self.cell, self.seed, self.target, config.percents[-1], max(config.retrain_epochs)
        )


def make_study_config(
    preset: str = "demo", *, reber_csv: str | os.PathLike | None = None, **overrides
) -> RNNPruningConfig:
    """A preset with overrides; ``reber_csv`` is read and checked now and its rows' digest
    joins the study's identity.

    Raises
    ------
    ValueError
        Unknown preset, field or field value; a bad Reber CSV (row and column named).
    FileNotFoundError
        ``reber_csv`` does not exist.
    """
    if reber_csv is not None:
        path = Path(reber_csv).resolve()
        frame = load_reber_csv(path)
        overrides |= {"reber_csv": str(path), "reber_csv_digest": reber_rows_digest(frame)}
    config = make_rnn_pruning_config(preset, **overrides)
    if config.reber_csv is not None:
        split_reber_frame(frame, seed=config.seed, test_fraction=config.test_fraction)
    return config


def study_id_for(config: RNNPruningConfig) -> str:
    """``prune-rnn-<preset>-<hash of the identity>``; more repeats keep the same id."""
    digest = hashlib.sha256(json.dumps(config.identity(), sort_keys=True).encode()).hexdigest()
    return f"{KIND}-{config.preset}-{digest[:8]}"


def study_of(config: RNNPruningConfig) -> StudyRecord:
    """The study record (its config stored as JSON)."""
    return StudyRecord(id=study_id_for(config), kind=KIND, config=config.to_dict())


def bases_folder(root: str | os.PathLike, study_id: str) -> Path:
    """Where the study's base models are saved: beside its staging folder."""
    return Path(root) / f"{study_id}.bases"


def plan_rnn_pruning_jobs(
    config: RNNPruningConfig, study: StudyRecord, root: str | os.PathLike
) -> list[RNNPruningJob]:
    """One job per (cell, seed, target), in cell, seed, target order."""
    folder = bases_folder(root, study.id)
    return [
        RNNPruningJob(cell, seed, target, config, study, str(folder / f"{cell}-s{seed}.pt"))
        for cell in config.cells
        for seed in config.seeds
        for target in config.targets
    ]


def define_rnn_pruning_study(config: RNNPruningConfig, root: str | os.PathLike) -> StudyDefinition:
    """The study's record, its jobs and the job function."""
    study = study_of(config)
    jobs = plan_rnn_pruning_jobs(config, study, root)
    return StudyDefinition(study=study, jobs=jobs, run_job=run_rnn_pruning_job)


def base_model_for(job: RNNPruningJob | BaseJob) -> BaseModel:
    """The job's base model: loaded from its file, or trained and saved when there is none."""
    path = Path(job.base_path if isinstance(job, RNNPruningJob) else job.path)
    if path.exists():
        return load_base_model(path, job.config)
    base = train_base_model(job.cell, job.seed, study_data(job.config), job.config)
    save_base_model(base, path, job.config)
    return base


def train_base_job(job: BaseJob) -> float:
    """Worker entry point of the base phase: make sure the base file exists; its test
    accuracy."""
    return base_model_for(job).test_accuracy


def run_rnn_pruning_job(job: RNNPruningJob) -> JobResult:
    """Worker entry point: load the base model, sweep the target, return the run's tables."""
    started = time.perf_counter()
    base = base_model_for(job)
    config = job.config
    sweep = prune_sweep(
        base.state, job.cell, job.target, config.percents, study_data(config), config,
        retrain_epochs=config.retrain_epochs, seed=job.seed,
    )  # fmt: skip
    frames = run_frames(job.study.id, base, sweep, config)
    last = sweep.records[-1]
    return JobResult(
        name=job.name,
        tables={table: frame.to_arrow() for table, frame in frames.items()},
        summary={"test_acc": last.accuracy_after, "seconds": time.perf_counter() - started},
    )


def run_rnn_pruning_study(
    config: RNNPruningConfig,
    *,
    db: str | os.PathLike | None = None,
    executor: str = "local",
    workers: int = 2,
    staging_dir: str | os.PathLike | None = None,
    load_every: float = 5.0,
    progress: StudyProgress | None = None,
    on_base: Callable[[BaseJob, float | Exception], None] | None = None,
) -> StudySummary:
    """Train the missing base models (on the executor), then run every pruning job not stored.

    ``on_base(job, outcome)`` follows the base phase (test accuracy, or the error).

    Raises
    ------
    RuntimeError
        A base model could not be trained (nothing of its runs is written; the bases that
        finished are saved, so the next run resumes).
    ValueError
        ``config.device`` is not available on this machine (nothing is written).
    See :func:`ingest.study_driver.run_study` for the rest.
    """
    check_device(config.device)  # an unavailable device: nothing is trained or written
    if config.reber_csv is not None:
        _checked_csv(config)  # a changed file: nothing is trained or written
    root = staging_root(db, staging_dir)
    definition = define_rnn_pruning_study(config, root)
    # Runs staged by an interrupted run land without their base: count them as done.
    stored = _stored_names(db, definition.study.id) | staged_names(root / definition.study.id)
    needed = {
        (job.cell, job.seed): job.base_path
        for job in definition.jobs
        if job.name not in stored and not Path(job.base_path).exists()
    }
    bases = [BaseJob(cell, seed, config, path) for (cell, seed), path in needed.items()]
    failed = []
    for job, outcome in run_jobs(train_base_job, bases, executor=executor, workers=workers):
        if isinstance(outcome, Exception):
            failed.append(f"{job.name}: {type(outcome).__name__}: {outcome}")
        if on_base is not None:
            on_base(job, outcome)
    if failed:
        raise RuntimeError("Base model(s) could not be trained: " + "; ".join(failed))
    return run_study(
        definition, db=db, executor=executor, workers=workers, staging_dir=root,
        load_every=load_every, progress=progress,
    )  # fmt: skip


@cache
def study_data(config: RNNPruningConfig) -> RNNData:
    """The study's encoded Reber splits, once per process: generated from ``config.seed``, or
    the user's CSV (its ``split`` column, else a seeded split) checked against its digest."""
    if config.reber_csv is None:
        return load_rnn_data(config, seed=config.seed)
    frames = split_reber_frame(
        _checked_csv(config), seed=config.seed, test_fraction=config.test_fraction
    )
    return load_rnn_data(config, frames=frames)


def _checked_csv(config: RNNPruningConfig):
    frame = load_reber_csv(config.reber_csv)
    if reber_rows_digest(frame) != config.reber_csv_digest:
        raise ValueError(
            f"Reber CSV file {config.reber_csv!r} changed since the study started (its rows' "
            "digest differs): restore it, or start a new study from the new file."
        )
    return frame


def _stored_names(db, study_id: str) -> set[str]:
    try:
        return set(queries.networks(db, study=study_id)["name"].to_list())
    except WarehouseError:  # no file yet, or an older one the driver upgrades
        return set()
