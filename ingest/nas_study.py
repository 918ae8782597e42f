"""The CNN architecture-search study (paper, § 4.4), end to end and resumable.

Every (strategy, seed) pair of a :class:`~ingest.nas_config.NasConfig` is one search run, a
job of the generic :mod:`ingest.study_driver` (local pool or Ray, lock, status, staging,
features on landing, resume): the run trains its candidates in its worker and returns every
candidate — trained or only predicted — with its genotype graph, features and score
(:mod:`ingest.nas_search_run`). Interrupt the study and run it again: finished runs are not
repeated; a run cut short starts again from its seed, and reproduces the same candidates.
"""

from __future__ import annotations

import hashlib
import json
import os

from ingest.devices import check_device
from ingest.nas_config import NasConfig
from ingest.nas_search_run import NasRunJob, run_nas_job
from ingest.study_driver import StudyDefinition, StudyProgress, StudySummary, run_study
from warehouse.records import StudyRecord

__all__ = ["define_nas_study", "nas_study_id", "run_nas_study"]


def nas_study_id(config: NasConfig) -> str:
    """A stable id: ``nas-<preset>-<dataset>-`` plus a short hash of the configuration."""
    digest = hashlib.sha256(json.dumps(config.identity(), sort_keys=True).encode()).hexdigest()
    return f"nas-{config.preset}-{config.dataset}-{digest[:8]}"


def define_nas_study(config: NasConfig) -> StudyDefinition:
    """The study's record and one :class:`NasRunJob` per (strategy, seed)."""
    study = StudyRecord(id=nas_study_id(config), kind="nas", config=config.to_dict())
    jobs = [NasRunJob(strategy=strategy, seed=seed, config=config, study=study)
            for seed in config.seeds for strategy in config.strategies]  # fmt: skip
    return StudyDefinition(study=study, jobs=jobs, run_job=run_nas_job)


def run_nas_study(
    config: NasConfig,
    *,
    db: str | os.PathLike | None = None,
    executor: str = "local",
    workers: int = 2,
    staging_dir: str | os.PathLike | None = None,
    load_every: float = 5.0,
    progress: StudyProgress | None = None,
) -> StudySummary:
    """Run every search run of the study not stored yet; candidates land with features.

    The data set is loaded once here first, so a missing or malformed file is reported
    before anything runs or is written, and so is an unavailable ``config.device``. See
    :func:`ingest.study_driver.run_study` for the rest, including what it raises.
    """
    from ingest.nas_training import load_search_data

    check_device(config.device)  # an unavailable device: nothing is written
    load_search_data(config.dataset, config.data_dir, config.validation_fraction,
                     config.data_seed)  # fmt: skip
    return run_study(
        define_nas_study(config), db=db, executor=executor, workers=workers,
        staging_dir=staging_dir, load_every=load_every, progress=progress,
    )  # fmt: skip
