"""Store the NAS-Bench-Graph table-search runs so the dashboard can draw their curves.

One study per data set (id ``nas-table-search-<dataset>``, kind ``nas_table_search``); one
network row per run (family :data:`~warehouse.queries_nas.TABLE_RUN_FAMILY`, no graph) named
``top<fraction>/<strategy>/seed<k>``, whose ``attributes`` hold the run's best-found step
curve (``curve``: ``[query, best valid_perf]`` at each improvement), the target it stopped at
and its budget; its test ``perf`` of the best-by-validation architecture is a ``test/perf``
metric and the queries to the target (when reached) a ``search/queries_to_target`` one. Rerun
with the same settings, a run is already stored; with different results it replaces the old
row — all in one transaction.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ingest.nas_bench_search import SearchOutcome
from warehouse.queries_nas import TABLE_RUN_FAMILY, TABLE_STUDY_KIND
from warehouse.records import Metric, NetworkRecord, StudyRecord
from warehouse.store import IngestReport, store_records

__all__ = ["store_table_search", "table_study_id"]


def table_study_id(dataset: str) -> str:
    """The study holding the table-search runs on ``dataset``."""
    return f"nas-table-search-{dataset}"


def store_table_search(
    db: str | os.PathLike | None,
    dataset: str,
    outcomes: Sequence[SearchOutcome],
    *,
    top_fraction: float,
    budget: int,
    regressor: str,
) -> IngestReport:
    """Store ``outcomes`` (runs stopped at the top-``top_fraction`` target) of ``dataset``."""
    if not 0 < top_fraction < 1:
        raise ValueError(f"The 'top_fraction' parameter must be in (0, 1). Got {top_fraction}.")
    study = StudyRecord(
        id=table_study_id(dataset), kind=TABLE_STUDY_KIND,
        config={"dataset": dataset, "source": "benchmarks/bench_nas_table_search.py"},
    )  # fmt: skip
    records = [
        NetworkRecord(
            name=f"top{top_fraction:g}/{o.strategy}/seed{o.seed}",
            family=TABLE_RUN_FAMILY,
            generator=o.strategy,
            seed=o.seed,
            labels={"strategy": o.strategy, "dataset": dataset},
            metrics=[Metric(0, "test", "perf", o.best_test)]
            + (
                [Metric(0, "search", "queries_to_target", float(o.queries_to_target))]
                if o.queries_to_target is not None
                else []
            ),
            attributes={
                "curve": [list(point) for point in o.curve],
                "top_fraction": top_fraction,
                "budget": budget,
                "queries": o.queries,
                "predicted": o.predicted,
                "regressor": regressor if o.strategy.endswith("_predictor") else None,
            },
        )  # fmt: skip
        for o in outcomes
    ]
    return store_records(db, study, records, replace=True)
