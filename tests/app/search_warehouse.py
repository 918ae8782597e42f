"""Hand-made architecture-search candidates for the Search page's tests (no training).

:func:`best_so_far_records` is a small search study with known answers: strategy ``genetic``
trains three candidates (validation 0.5, 0.7, 0.6), ``genetic_predictor`` trains two (0.4, 0.8)
and scores a third by prediction only (0.95, never trained).
"""

from __future__ import annotations

import networkx as nx

from warehouse.records import Metric, NetworkRecord, StudyRecord

__all__ = ["STUDY", "best_so_far_records", "candidate"]

STUDY = StudyRecord(id="nas-test", kind="nas", config={})


def candidate(strategy: str, index: int, query: int, score: float, *, measured: bool = True):
    """One candidate of seed 0: validation ``score`` (test ``score - 0.1``) if ``measured``,
    else only a predicted validation score."""
    graph = nx.DiGraph([(0, 1), (1, 2)])
    metrics = ([Metric(1, "validation", "acc", score), Metric(1, "test", "acc", score - 0.1)]
               if measured else [Metric(0, "validation", "predicted_acc", score)])  # fmt: skip
    return NetworkRecord(
        name=f"{strategy}/seed0/{index:04d}", graph=graph, family="nas_cnn", seed=0,
        generator=strategy, metrics=metrics,
        labels={"strategy": strategy, "scored_by": "measured" if measured else "predicted"},
        attributes={"generation": index, "query": query, "search_run": f"{strategy}/seed0"},
    )  # fmt: skip


def best_so_far_records() -> list[NetworkRecord]:
    """The six candidates of the module docstring."""
    records = [candidate("genetic", i, i + 1, s) for i, s in enumerate([0.5, 0.7, 0.6])]
    records += [candidate("genetic_predictor", 0, 1, 0.4),
                candidate("genetic_predictor", 1, 2, 0.8),
                candidate("genetic_predictor", 2, 2, 0.95, measured=False)]  # fmt: skip
    return records
