"""A warehouse of hand-made pruning runs for the report and dashboard tests (no training)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import polars as pl

from warehouse.pruning_store import PruningRunRecord, store_pruning_run
from warehouse.records import Metric, NetworkRecord, StudyRecord

__all__ = ["HAND_RUNS", "PRUNED_AT", "STUDY", "base_graph", "store_hand_run", "store_hand_runs"]

STUDY = StudyRecord(id="prune-ffn-test", kind="prune-ffn")
PRUNED_AT = {(0, 2): 1, (0, 3): 2, (2, 4): 2}  # the step a connection goes: step 2 leaves 3 of 6
HAND_RUNS = (  # (method, seed, test accuracy after each step)
    ("random", 0, [0.6, 0.4]),
    ("random", 1, [0.8, 0.6]),
    ("magnitude_class_blinded", 0, [0.9, 0.85]),
)


def base_graph() -> nx.DiGraph:
    """2 inputs -> 2 hidden -> 1 output: layer pairs 0->1 (4 edges) and 1->2 (2 edges)."""
    graph = nx.DiGraph()
    graph.add_nodes_from([(0, {"layer": 0}), (1, {"layer": 0}), (2, {"layer": 1}),
                          (3, {"layer": 1}), (4, {"layer": 2})])  # fmt: skip
    graph.add_weighted_edges_from([(0, 2, 1.0), (0, 3, 2.0), (1, 2, 3.0), (1, 3, 4.0),
                                   (2, 4, 5.0), (3, 4, 6.0)])  # fmt: skip
    return graph


def store_hand_run(db: Path, method: str, seed: int, accuracies: list[float]) -> None:
    base = NetworkRecord(name=f"base/{seed}", graph=base_graph(), family="feedforward", seed=seed,
                         metrics=[Metric(1, "test", "acc", 0.9)])  # fmt: skip
    rows = [(u, v, d["weight"], PRUNED_AT.get((u, v))) for u, v, d in base_graph().edges(data=True)]
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


def store_hand_runs(db: Path) -> None:
    """Store every run of :data:`HAND_RUNS` (graph features not landed)."""
    for method, seed, accuracies in HAND_RUNS:
        store_hand_run(db, method, seed, accuracies)
