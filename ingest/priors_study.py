"""The structural-priors study (paper, section 4.3), end to end and resumable.

Random graphs become the structure of recurrent networks; each is trained on the Reber
grammar; its graph and per-epoch metrics land in the warehouse as it finishes; then the graph
features are computed, ready for ``sparsescope correlate --target test_acc --by cell``.

The driver is the warehouse's only writer. Workers (local processes or Ray tasks) stage their
results as Parquet bundles; the driver loads the bundles in batches, each batch one short
transaction. Interrupt it (Ctrl-C, kill) and run the same command again: networks already
stored or staged are not retrained, and content hashes keep anything from being stored twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from analytics.feature_store import compute_missing_features
from ingest.executors import run_jobs
from ingest.generators import GraphSpec, sample_graph_specs
from ingest.priors_config import PriorsConfig
from ingest.priors_training import JobOutcome, PriorsJob, run_priors_job
from models.dag import layered_dag
from warehouse import queries
from warehouse.connection import resolve_db_path
from warehouse.errors import WarehouseMissingError
from warehouse.records import StudyRecord
from warehouse.staging import complete_bundles, load_staged

__all__ = ["StudyProgress", "StudySummary", "plan_priors_study", "run_priors_study", "study_id_for"]


@dataclass
class StudyProgress:
    """Callbacks a front end passes to follow the study (all optional)."""

    on_start: Callable[[int, int], None] = lambda total, already: None
    on_network: Callable[[JobOutcome | Exception, str], None] = lambda outcome, name: None


@dataclass(frozen=True)
class StudySummary:
    """How the run went."""

    study_id: str
    planned: int
    already_done: int
    trained: int
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def study_id_for(config: PriorsConfig) -> str:
    """A stable study id: the preset plus a short hash of :meth:`PriorsConfig.identity`
    (data version and CSV digest included; the device is not: same study on CPU or GPU)."""
    digest = hashlib.sha256(json.dumps(config.identity(), sort_keys=True).encode()).hexdigest()
    return f"priors-{config.preset}-{digest[:8]}"


def plan_priors_study(config: PriorsConfig) -> list[tuple[GraphSpec, str]]:
    """Every (graph spec, cell) pair of the study, each graph checked before any training.

    Raises
    ------
    ValueError
        A graph cannot become a network (empty, cyclic, ...): named with its spec.
    """
    specs = []
    for generator in config.generators:
        specs += sample_graph_specs(
            generator, config.graphs_per_generator, seed=config.seed, n_range=config.n_range
        )
    for spec in specs:
        try:
            layered_dag(spec.build())
        except ValueError as exc:
            raise ValueError(f"Graph {spec.key} cannot become a network: {exc}") from exc
    return [(spec, cell) for cell in config.cells for spec in specs]


def run_priors_study(
    config: PriorsConfig,
    *,
    db: str | os.PathLike | None = None,
    executor: str = "local",
    workers: int = 2,
    staging_dir: str | os.PathLike | None = None,
    load_every: float = 5.0,
    progress: StudyProgress | None = None,
) -> StudySummary:
    """Train every network of the study that is not stored yet, then compute features.

    Parameters
    ----------
    load_every:
        Seconds between loads of staged results into the warehouse (the writer holds the
        file only while loading).
    """
    progress = progress or StudyProgress()
    started = time.perf_counter()
    config.check_runnable()  # an unavailable device or a changed CSV: nothing is written
    plan = plan_priors_study(config)  # validates every graph before anything is written
    study = StudyRecord(id=study_id_for(config), kind="priors", config=config.to_dict())
    db_path = resolve_db_path(db)
    staging = Path(staging_dir or f"{db_path}.staging") / study.id
    _remove_unfinished_bundles(staging)
    if complete_bundles(staging):
        load_staged(db_path, staging)  # results of an interrupted run
    done = _stored_names(db_path, study.id)
    jobs = [
        PriorsJob(spec=spec, cell=cell, config=config, study=study, staging_dir=str(staging))
        for spec, cell in plan
        if f"{cell}/{spec.key}" not in done
    ]
    progress.on_start(len(plan), len(plan) - len(jobs))
    failed: dict[str, str] = {}
    trained = 0
    last_load = time.monotonic()
    try:
        for job, outcome in run_jobs(run_priors_job, jobs, executor=executor, workers=workers):
            if isinstance(outcome, Exception):
                failed[job.name] = f"{type(outcome).__name__}: {outcome}"
            else:
                trained += 1
            progress.on_network(outcome, job.name)
            if time.monotonic() - last_load >= load_every:
                load_staged(db_path, staging)
                last_load = time.monotonic()
    finally:
        # Whatever finished is kept, also on Ctrl-C: the next run resumes after it.
        load_staged(db_path, staging)
    compute_missing_features(db_path, n_jobs=workers)
    return StudySummary(
        study_id=study.id, planned=len(plan), already_done=len(plan) - len(jobs),
        trained=trained, failed=failed, seconds=time.perf_counter() - started,
    )  # fmt: skip


def _stored_names(db: Path, study_id: str) -> set[str]:
    try:
        return set(queries.networks(db, study=study_id).get_column("name").to_list())
    except WarehouseMissingError:
        return set()


def _remove_unfinished_bundles(staging: Path) -> None:
    """Temporary folders of writes that a kill interrupted; their jobs simply run again."""
    if staging.exists():
        for folder in staging.glob(".tmp-*"):
            shutil.rmtree(folder, ignore_errors=True)
