"""A warehouse of hand-made pruning runs for the report and dashboard tests (no training)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import polars as pl

from warehouse.pruning_store import PruningRunRecord, store_pruning_run
from warehouse.records import Metric, NetworkRecord, StudyRecord

__all__ = ["STUDY", "store_hand_run"]

STUDY = StudyRecord(id="prune-ffn-test", kind="prune-ffn")


def _base() -> nx.DiGraph:
    """2 inputs -> 2 hidden -> 1 output: layer pairs 0->1 (4 edges) and 1->2 (2 edges)."""
    graph = nx.DiGraph()
    graph.add_nodes_from([(0, {"layer": 0}), (1, {"layer": 0}), (2, {"layer": 1}),
                          (3, {"layer": 1}), (4, {"layer": 2})])  # fmt: skip
    graph.add_weighted_edges_from([(0, 2, 1.0), (0, 3, 2.0), (1, 2, 3.0), (1, 3, 4.0),
                                   (2, 4, 5.0), (3, 4, 6.0)])  # fmt: skip
    return graph


def store_hand_run(db: Path, method: str, seed: int, accuracies: list[float]) -> None:
    base = NetworkRecord(name=f"base/{seed}", graph=_base(), family="feedforward", seed=seed,
                         metrics=[Metric(1, "test", "acc", 0.9)])  # fmt: skip
    pruned = {(0, 2): 1, (0, 3): 2, (2, 4): 2}  # step 2 leaves 3 of 6 edges
    rows = [(u, v, d["weight"], pruned.get((u, v))) for u, v, d in _base().edges(data=True)]
    key = f"{method}/{seed}"
    run = PruningRunRecord(
        run_key=key, base_name=base.name, method=method, scheme="percentage", seed=seed,
        attributes={"hidden": [2], "learning_rate": 0.01},
        connections=pl.DataFrame(rows, schema=["source", "target", "weight", "pruned_at_step"],
                                 orient="row"),
    )  # fmt: skip
    steps = [
        NetworkRecord(
            name=f"{key}/step-{i}",
            seed=seed,
            pruning_step=i,
            metrics=[Metric(0, "test", "acc_before", acc - 0.1), Metric(1, "test", "acc", acc)],
        )  # fmt: skip
        for i, acc in enumerate(accuracies, start=1)
    ]
    store_pruning_run(db, STUDY, base, run, steps)
