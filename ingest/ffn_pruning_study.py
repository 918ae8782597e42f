"""The feed-forward pruning study (paper, section 4.1), end to end and resumable.

The grid is architecture × learning rate × seed × method × scheme; one job is one whole
pruning run (:mod:`ingest.ffn_pruning_training`), whose base model is shared by every run of
its (architecture, learning rate, seed). Each step lands as a network of its own (parent: the
previous step; the first step's parent is the base), the run's connections once with the step
that pruned each (:mod:`warehouse.pruning_store`), so ``SELECT * FROM pruning_steps`` is the
study's accuracy-vs-compression table. Features land with the networks: the cheap ones every
step, paths and betweenness every ``expensive_every``-th step (:mod:`ingest.feature_landing`).

Running it — one driver per study, staging, batched ingest, status, resuming — is the generic
:mod:`ingest.study_driver`. Interrupt it and run the same command again: finished runs are
neither re-run nor stored twice; a run that was cut off is run again whole, its base model
loaded from the base folder (``<staging root>/<study>.bases``), not retrained.
"""

from __future__ import annotations

import hashlib
import json
import os

from ingest.devices import check_device
from ingest.ffn_pruning_config import FFNPruningConfig
from ingest.ffn_pruning_training import FFNPruningJob, load_data, run_ffn_pruning_job
from ingest.study_driver import (
    StudyDefinition,
    StudyProgress,
    StudySummary,
    run_study,
    staging_root,
)
from warehouse.records import StudyRecord

__all__ = [
    "StudyProgress",
    "StudySummary",
    "define_ffn_pruning_study",
    "run_ffn_pruning_study",
    "study_id_for",
]


def study_id_for(config: FFNPruningConfig) -> str:
    """A stable study id: the preset plus a short hash of :meth:`FFNPruningConfig.identity`
    (more repeats extend the same study)."""
    digest = hashlib.sha256(json.dumps(config.identity(), sort_keys=True).encode()).hexdigest()
    return f"prune-ffn-{config.preset}-{digest[:8]}"


def define_ffn_pruning_study(
    config: FFNPruningConfig, *, base_dir: str | os.PathLike
) -> StudyDefinition:
    """The study's record and one :class:`FFNPruningJob` per run, grouped by base model (the
    jobs of one base come together, so a worker loads a base another has just trained)."""
    study = StudyRecord(id=study_id_for(config), kind="prune-ffn", config=config.to_dict())
    jobs = [
        FFNPruningJob(
            config=config,
            study=study,
            hidden=tuple(hidden),
            learning_rate=float(lr),
            seed=seed,
            method=method,
            scheme=scheme,
            base_dir=str(base_dir),
        )  # fmt: skip
        for seed in config.seeds
        for hidden in config.architectures
        for lr in config.learning_rates
        for method in config.methods
        for scheme in config.schemes
    ]
    return StudyDefinition(study=study, jobs=jobs, run_job=run_ffn_pruning_job)


def run_ffn_pruning_study(
    config: FFNPruningConfig,
    *,
    db: str | os.PathLike | None = None,
    executor: str = "local",
    workers: int = 2,
    staging_dir: str | os.PathLike | None = None,
    load_every: float = 5.0,
    progress: StudyProgress | None = None,
) -> StudySummary:
    """Run every pruning run of the study not stored yet; see
    :func:`ingest.study_driver.run_study` for the options and what it raises.

    Raises
    ------
    DatasetFileError
        ``config.data_dir`` lacks an IDX file or holds a malformed one (before any job runs
        and before anything is written).
    ValueError
        ``config.device`` is not available on this machine (nothing is written).
    """
    check_device(config.device)  # an unavailable device: nothing is written
    load_data(config)  # bad data files fail here, naming the file, before anything is written
    root = staging_root(db, staging_dir)
    definition = define_ffn_pruning_study(config, base_dir=root / f"{study_id_for(config)}.bases")
    return run_study(
        definition, db=db, executor=executor, workers=workers, staging_dir=staging_dir,
        load_every=load_every, progress=progress,
    )  # fmt: skip
