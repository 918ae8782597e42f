"""The study driver: plan → skip what is stored → run jobs → stage → ingest in batches.

Every study that trains networks (the priors study now; pruning and NAS studies next) is a
:class:`StudyDefinition` — the study record, its planned jobs (each with a unique ``name``) and
a top-level job function returning a :class:`JobResult` — run by :func:`run_study`:

1. **one driver per study**: an exclusive lock beside the staging folder
   (:mod:`ingest.study_lock`); a second run is refused, naming the holder;
2. **skip what is done**: jobs whose network is stored or staged are not run again;
3. **run** the rest on an executor (:mod:`ingest.executors`); results come back through the
   executor — a job never touches the driver's disk, so Ray may run it on another machine.
   A study may train several networks as one unit of work (a :class:`JobPack`, e.g. networks
   trained together as one model): its ``plan_packs`` groups the jobs left to run *after*
   step 2, so a resumed study packs only the missing networks;
4. **stage** each result — a job's network, or all networks of a pack together — as one
   Parquet bundle at once (:mod:`warehouse.staging`): safe on disk, and a pack killed before
   it finished has staged nothing, so it is trained again whole;
5. **ingest in batches**, the driver being the only writer: every ``load_every`` seconds it tries
   the file briefly; if a reader holds it, training and staging simply go on and the next try
   comes later. At the end it waits up to :data:`WRITER_PATIENCE` seconds — far longer than a
   reader's query runs (the SQL box stops its queries after 10 s by default). A network already
   stored under its
   ``(study, name)`` is kept and the later result skipped;
6. **features on landing**: each batch's graph features are computed from the batch and stored
   in its transaction (:mod:`ingest.feature_landing`);
7. **status**: a status file beside the staging folder says running / finished / interrupted /
   failed and how many networks are done (:mod:`ingest.study_status`).

Interrupt it (Ctrl-C, kill -9) and run the same study again: nothing is trained twice that
finished, nothing is stored twice, and no worker outlives its driver.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from ingest.executors import run_jobs
from ingest.study_lock import StudyLock, lock_path
from ingest.study_status import StudyStatus, now, status_path, write_status
from warehouse import queries
from warehouse.connection import open_connection, resolve_db_path
from warehouse.errors import SchemaVersionError, WarehouseLockedError, WarehouseMissingError
from warehouse.records import StudyRecord
from warehouse.staging import (
    StagingWarning,
    load_staged,
    remove_unfinished,
    stage_frames,
    staged_names,
)

__all__ = [
    "LOAD_ATTEMPT_SECONDS",
    "WRITER_PATIENCE",
    "JobPack",
    "JobResult",
    "StudyDefinition",
    "StudyProgress",
    "StudySummary",
    "run_study",
    "staging_root",
]

# How long the driver's final ingest (and the features after it) waits for the file. Readers
# must stay far below it: the SQL box's default timeout (10 s) is 60 times shorter (a test checks
# the ratio), dashboards' reads are short, and while jobs run a busy file costs nothing.
WRITER_PATIENCE = 600.0
# How long each ingest attempt during the run waits before training simply goes on.
LOAD_ATTEMPT_SECONDS = 1.0
# Bundles per ingest transaction: keeps the file held briefly.
BATCH_BUNDLES = 500


@dataclass(frozen=True)
class JobResult:
    """What a job returns: its networks' tables (Arrow, one per warehouse table) and a few
    numbers for the progress display (e.g. ``test_acc``, ``seconds``)."""

    name: str
    tables: dict[str, pa.Table]
    summary: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class JobPack:
    """Jobs run as one unit of work: one executor task, one staged bundle of all their networks."""

    jobs: tuple[Any, ...]

    @property
    def name(self) -> str:
        """The first job's name and how many more the pack holds, e.g. ``gru/ba(...) +3``."""
        return self.jobs[0].name + (f" +{len(self.jobs) - 1}" if len(self.jobs) > 1 else "")


@dataclass(frozen=True)
class StudyDefinition:
    """What makes a study: its record, every planned job, and the job function.

    ``run_job`` must be a picklable top-level function (it runs in worker processes or on Ray);
    every job has a ``name``, unique in the study, equal to its network's name.

    A study that trains networks together sets ``plan_packs`` (jobs left to run -> groups of
    them, called in the driver) and ``run_pack`` (a picklable top-level function: a
    :class:`JobPack` -> one :class:`JobResult` per job, in order); ``run_job`` is then unused
    by the driver. Both or neither.
    """

    study: StudyRecord
    jobs: Sequence[Any]
    run_job: Callable[[Any], JobResult]
    plan_packs: Callable[[Sequence[Any]], Sequence[Sequence[Any]]] | None = None
    run_pack: Callable[[JobPack], Sequence[JobResult]] | None = None

    def __post_init__(self) -> None:
        if (self.plan_packs is None) != (self.run_pack is None):
            raise ValueError(
                "The 'plan_packs' and 'run_pack' parameters of StudyDefinition go together; "
                f"got plan_packs={self.plan_packs!r}, run_pack={self.run_pack!r}."
            )

    def units(self, jobs: Sequence[Any]) -> list[Any]:
        """The units of work for ``jobs``: the jobs themselves, or their packs.

        Raises
        ------
        ValueError
            If ``plan_packs`` loses, repeats or invents a job.
        """
        if self.plan_packs is None:
            return list(jobs)
        packs = [JobPack(tuple(pack)) for pack in self.plan_packs(jobs) if len(pack)]
        planned = [job.name for pack in packs for job in pack.jobs]
        if sorted(planned) != sorted(job.name for job in jobs):
            raise ValueError(
                f"The plan_packs of study {self.study.id!r} must put every job left to run in "
                f"exactly one pack; it planned {len(planned)} jobs for {len(jobs)}."
            )
        return packs


@dataclass
class StudyProgress:
    """Callbacks a front end passes to follow the study (all optional)."""

    on_start: Callable[[int, int], None] = lambda total, already: None
    on_network: Callable[[JobResult | Exception, str], None] = lambda outcome, name: None
    on_warning: Callable[[str], None] = lambda message: warnings.warn(
        message, StagingWarning, stacklevel=2
    )


@dataclass(frozen=True)
class StudySummary:
    """How the run went."""

    study_id: str
    planned: int
    already_done: int
    trained: int
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def staging_root(db: str | os.PathLike | None, staging_dir: str | os.PathLike | None) -> Path:
    """The folder holding every study's staging folder, lock and status file."""
    return Path(staging_dir) if staging_dir else Path(f"{resolve_db_path(db)}.staging")


def run_study(
    definition: StudyDefinition,
    *,
    db: str | os.PathLike | None = None,
    executor: str = "local",
    workers: int = 2,
    staging_dir: str | os.PathLike | None = None,
    load_every: float = 5.0,
    progress: StudyProgress | None = None,
) -> StudySummary:
    """Run every job of ``definition`` whose network is not stored yet, and store the results.

    Parameters
    ----------
    staging_dir:
        Folder for staging, lock and status (default ``<db>.staging``).
    load_every:
        Seconds between ingest attempts while jobs run.

    Raises
    ------
    StudyLockedError
        Another live driver runs this study.
    WarehouseLockedError
        The file stayed busy for :data:`WRITER_PATIENCE` seconds at the end (everything
        finished is staged; running again ingests it).
    """
    progress = progress or StudyProgress()
    started = time.perf_counter()
    study = definition.study
    db_path = resolve_db_path(db)
    root = staging_root(db_path, staging_dir)
    with StudyLock(lock_path(root, study.id), study.id) as lock:
        if lock.stale_holder:
            holder = lock.stale_holder
            progress.on_warning(
                f"Took over the lock of a driver that is gone (PID {holder.get('pid')} on "
                f"{holder.get('host')}, started {holder.get('started')})."
            )
        return _Run(definition, db_path, root, executor, workers, load_every, progress).run(started)


class _Run:
    """One locked run of a study (the state :func:`run_study` threads through its steps)."""

    def __init__(self, definition, db, root, executor, workers, load_every, progress):
        self.definition, self.db, self.executor = definition, db, executor
        self.workers, self.load_every, self.progress = workers, load_every, progress
        self.study: StudyRecord = definition.study
        self.staging = root / self.study.id
        self.status_file = status_path(root, self.study.id)
        self.status = StudyStatus(
            study_id=self.study.id, kind=self.study.kind, state="running",
            planned=len(definition.jobs), started=now(),
        )  # fmt: skip
        self.busy = False

    def run(self, started: float) -> StudySummary:
        write_status(self.status_file, self.status)
        remove_unfinished(self.staging)
        failed: dict[str, str] = {}
        trained = 0
        try:
            self._ingest(LOAD_ATTEMPT_SECONDS)  # results of an interrupted run
            done = self._stored_names() | staged_names(self.staging)
            jobs = [job for job in self.definition.jobs if job.name not in done]
            already = len(self.definition.jobs) - len(jobs)
            self.status.done = already
            write_status(self.status_file, self.status)
            self.progress.on_start(len(self.definition.jobs), already)
            last_load = time.monotonic()
            packed = self.definition.run_pack is not None
            results = run_jobs(
                self.definition.run_pack if packed else self.definition.run_job,
                self.definition.units(jobs), executor=self.executor, workers=self.workers,
            )  # fmt: skip
            for unit, outcome in results:
                members = list(unit.jobs) if packed else [unit]
                outcomes = self._stage_unit(members, outcome)
                for job, each in zip(members, outcomes, strict=True):
                    if isinstance(each, Exception):
                        failed[job.name] = f"{type(each).__name__}: {each}"
                        self.status.failed += 1
                    else:
                        trained += 1
                        self.status.done += 1
                write_status(self.status_file, self.status)
                for job, each in zip(members, outcomes, strict=True):
                    self.progress.on_network(each, job.name)
                if time.monotonic() - last_load >= self.load_every:
                    self._ingest(LOAD_ATTEMPT_SECONDS)
                    last_load = time.monotonic()
            self._ingest(WRITER_PATIENCE, final=True)
            from ingest.feature_landing import land_missing_features

            if self.db.exists():  # not when nothing landed, ever
                land_missing_features(  # networks that landed without features (older runs)
                    self.db, study=self.study.id, n_jobs=self.workers,
                    lock_timeout=WRITER_PATIENCE,
                )  # fmt: skip
        except KeyboardInterrupt:
            self._finish("interrupted")
            raise
        except BaseException:
            self._finish("failed")
            raise
        self.status.state = "failed" if failed else "finished"
        write_status(self.status_file, self.status)
        return StudySummary(
            study_id=self.study.id, planned=len(self.definition.jobs), already_done=already,
            trained=trained, failed=failed, seconds=time.perf_counter() - started,
        )  # fmt: skip

    def _stage_unit(self, jobs: list, outcome) -> list[JobResult | Exception]:
        """Stage a unit's results as ONE bundle; returns each job's result or failure.

        A unit that raised fails every job; results that do not match the jobs one to one, or
        tables that cannot be staged, fail them all too (nothing of the unit is staged).
        """
        if isinstance(outcome, Exception):
            return [outcome] * len(jobs)
        results = list(outcome) if isinstance(outcome, (list, tuple)) else [outcome]
        names = [getattr(result, "name", None) for result in results]
        if names != [job.name for job in jobs]:
            problem = ValueError(
                f"Its results are for {names}, not for the jobs {[job.name for job in jobs]}."
            )
            return [problem] * len(jobs)
        try:
            tables = results[0].tables
            if len(results) > 1:  # one bundle for the whole pack: staged whole or not at all
                tables = {
                    table: pa.concat_tables(
                        [r.tables[table] for r in results], promote_options="default"
                    )
                    for table in tables
                }
            stage_frames(self.staging, self.study, tables)
        except Exception as exc:  # noqa: BLE001 - reported as these jobs' failure
            problem = ValueError(f"Its result could not be staged: {type(exc).__name__}: {exc}")
            return [problem] * len(jobs)
        return results

    def _finish(self, state: str) -> None:
        """After an interruption or error: keep what finished (quickly), record the state."""
        with suppress(Exception):  # the original error is what the user must see
            self._ingest(LOAD_ATTEMPT_SECONDS)
        self.status.state = state
        write_status(self.status_file, self.status)

    def _ingest(self, patience: float, *, final: bool = False) -> None:
        """Load staged bundles; a busy file is fine unless this is the final load."""
        # Imported here: job functions import this module in workers, which need no igraph.
        from ingest.feature_landing import features_of_frames

        while True:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", StagingWarning)  # reported below instead
                    report = load_staged(
                        self.db, self.staging, keep_stored=True, derive=features_of_frames,
                        lock_timeout=patience, max_bundles=BATCH_BUNDLES,
                    )  # fmt: skip
            except WarehouseLockedError as exc:
                if final:
                    raise WarehouseLockedError(
                        f"{exc} Every finished network is staged in {self.staging}; run the "
                        "study again to ingest it."
                    ) from exc
                if not self.busy:
                    self.progress.on_warning(
                        f"{exc} Training goes on; results stay staged and are ingested later."
                    )
                self.busy = True
                return
            self.busy = False
            for message in report.quarantined:
                self.progress.on_warning(message)
            if not final or not staged_names(self.staging):
                return

    def _stored_names(self) -> set[str]:
        try:
            return set(queries.networks(self.db, study=self.study.id)["name"].to_list())
        except WarehouseMissingError:
            return set()
        except SchemaVersionError:  # an older file: upgrade it (readers cannot), then read
            open_connection(self.db, read_only=False, lock_timeout=WRITER_PATIENCE).close()
            return set(queries.networks(self.db, study=self.study.id)["name"].to_list())
