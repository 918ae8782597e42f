"""The structural-priors study (paper, section 4.3), end to end and resumable.

Random graphs become the structure of recurrent networks; each is trained on the Reber
grammar; its graph and per-epoch metrics land in the warehouse as it finishes; then the graph
features are computed, ready for ``sparsescope correlate --target test_acc --by cell``.

This module is the study-specific part: the configuration, the plan (graph specs × cells)
and the job (:func:`ingest.priors_training.run_priors_job`). Running it — one driver per study,
staging, batched ingest, features on landing, status, resuming — is the generic
:mod:`ingest.study_driver`. Interrupt it (Ctrl-C, kill) and run the same command again: networks
already stored or staged are not retrained, and nothing is stored twice.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os

from ingest.generators import GraphSpec, sample_graph_specs
from ingest.packed_training import plan_packs, run_priors_pack
from ingest.priors_config import PriorsConfig
from ingest.priors_training import PriorsJob, run_priors_job
from ingest.study_driver import StudyDefinition, StudyProgress, StudySummary, run_study
from models.dag import layered_dag
from warehouse.records import StudyRecord

__all__ = [
    "StudyProgress",
    "StudySummary",
    "define_priors_study",
    "plan_priors_study",
    "run_priors_study",
    "study_id_for",
]


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


def define_priors_study(config: PriorsConfig, *, pack: int | None = None) -> StudyDefinition:
    """The study's record and one :class:`PriorsJob` per planned network (graphs validated).

    Parameters
    ----------
    pack:
        Networks trained together per unit of work (:func:`ingest.packed_training.plan_packs`):
        None chooses by network size, ``1`` trains every network alone as its own job. It
        changes neither the study's id nor its results (each packed network is trained exactly
        as alone), only how fast they come; a resumed study packs only the networks not stored.

    Raises
    ------
    ValueError
        If ``pack`` is not a positive integer or None, or a graph cannot become a network.
    """
    plan_packs([], pack=pack)  # validates pack before anything else
    plan = plan_priors_study(config)  # validates every graph before anything is written
    study = StudyRecord(id=study_id_for(config), kind="priors", config=config.to_dict())
    jobs = [PriorsJob(spec=spec, cell=cell, config=config, study=study) for spec, cell in plan]
    if pack == 1:
        return StudyDefinition(study=study, jobs=jobs, run_job=run_priors_job)
    return StudyDefinition(
        study=study, jobs=jobs, run_job=run_priors_job,
        plan_packs=functools.partial(plan_packs, pack=pack), run_pack=run_priors_pack,
    )  # fmt: skip


def run_priors_study(
    config: PriorsConfig,
    *,
    db: str | os.PathLike | None = None,
    executor: str = "local",
    workers: int = 2,
    staging_dir: str | os.PathLike | None = None,
    load_every: float = 5.0,
    progress: StudyProgress | None = None,
    pack: int | None = None,
) -> StudySummary:
    """Train every network of the study that is not stored yet; features land with them.

    Parameters
    ----------
    pack:
        Networks per unit of work, trained together as one model (None: by size; ``1``: one
        network per job); see :func:`define_priors_study`.
    load_every:
        Seconds between loads of staged results into the warehouse (the writer holds the
        file only while loading).

    See :func:`ingest.study_driver.run_study` for the rest, including what it raises.
    """
    config.check_runnable()  # an unavailable device or a changed CSV: nothing is written
    definition = define_priors_study(config, pack=pack)
    return run_study(
        definition, db=db, executor=executor, workers=workers, staging_dir=staging_dir,
        load_every=load_every, progress=progress,
    )  # fmt: skip
