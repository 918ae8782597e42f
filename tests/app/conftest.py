"""Fixtures for the dashboard tests: small real warehouses built in a temporary directory.

``dashboard_db`` holds two studies: 24 random graphs (Barabási–Albert and Watts–Strogatz,
undirected, no stored layers, two cell types) and 6 layered feed-forward DAGs (directed, with a
stored ``layer`` per vertex). The graph features are computed the way a user's would be
(:func:`ingest.feature_landing.land_missing_features`), plus a few measured with networkx and
stored with the records (one with a dotted name); the test accuracy is a noisy function of the
density, so correlations are real and non-trivial.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from ingest.feature_landing import land_missing_features
from warehouse.connection import writer
from warehouse.records import Metric, NetworkRecord, StudyRecord
from warehouse.store import store_records

RANDOM_STUDY = StudyRecord(id="random-graphs", kind="random-graphs", config={"seed": 0})
DAG_STUDY = StudyRecord(id="layered-dags", kind="priors", config={"layers": 3})
STUDY_RECORDS = {study.id: study for study in (RANDOM_STUDY, DAG_STUDY)}
STUDIES = tuple(STUDY_RECORDS)


def nx_features(graph: nx.Graph) -> dict[str, float]:
    """A few structural features that analytics.features does not compute, from networkx."""
    undirected = graph.to_undirected()
    degrees = [d for _, d in undirected.degree()]
    return {
        "transitivity": nx.transitivity(undirected),
        "max_degree": float(max(degrees)),
        "degree.mean": float(np.mean(degrees)),  # a dotted name, as some features have
    }


def random_graph_records(count: int = 24) -> list[NetworkRecord]:
    """Random graphs whose final test accuracy grows with their density (plus noise)."""
    rng = np.random.default_rng(7)
    records = []
    for i in range(count):
        n = 10 + i % 9
        if i % 2:
            graph = nx.barabasi_albert_graph(n, 1 + i % 3, seed=i)
            generator = "ba"
        else:
            graph = nx.watts_strogatz_graph(n, 2 + 2 * (i % 2 + i % 3 // 2), 0.3, seed=i)
            generator = "ws"
        accuracy = 0.55 + 0.4 * nx.density(graph) + rng.normal(0, 0.03)
        records.append(
            NetworkRecord(
                name=f"{generator}-{i:02d}",
                graph=graph,
                cell=("gru", "tanh")[i % 3 % 2],
                generator=generator,
                seed=i,
                metrics=[
                    Metric(0, "test", "acc", 0.5),
                    Metric(1, "test", "acc", accuracy),
                    Metric(1, "train", "loss", 1.0 - accuracy + rng.normal(0, 0.02)),
                ],
                features=nx_features(graph),
            )
        )
    return records


def layered_dag_records(count: int = 6) -> list[NetworkRecord]:
    """Feed-forward DAGs with 3 layers (widths 2, 3 + i % 3, 2) and a stored ``layer``."""
    rng = np.random.default_rng(11)
    records = []
    for i in range(count):
        widths = [2, 3 + i % 3, 2]
        graph = nx.DiGraph()
        start = 0
        layers = []
        for layer, width in enumerate(widths):
            members = list(range(start, start + width))
            graph.add_nodes_from(members, layer=layer)
            layers.append(members)
            start += width
        for upper, lower in zip(layers, layers[1:], strict=False):
            for u in upper:
                for v in lower:
                    if rng.random() < 0.7 or v == lower[0]:
                        graph.add_edge(u, v)
        records.append(
            NetworkRecord(
                name=f"dag-{i}",
                graph=graph,
                family="dag",
                cell="tanh",
                seed=i,
                metrics=[Metric(3, "test", "acc", 0.6 + 0.05 * i)],
                features=nx_features(graph),
            )
        )
    return records


@dataclass(frozen=True)
class Warehouse:
    """A warehouse file and the records stored in it, by study id."""

    path: Path
    records: dict[str, list[NetworkRecord]]

    def network_id(self, study: str, index: int) -> str:
        """Id of the ``index``-th record of ``study``."""
        return self.records[study][index].network_id(study)


def build_warehouse(path: Path, *, studies: Sequence[str] = STUDIES, count: int = 24) -> Warehouse:
    """Store the records of ``studies`` (``count`` random graphs) in ``path``."""
    records = {}
    for study in studies:
        records[study] = random_graph_records(count) if study == RANDOM_STUDY.id else (
            layered_dag_records()
        )  # fmt: skip
        store_records(path, STUDY_RECORDS[study], records[study])
    land_missing_features(path, n_jobs=1)
    return Warehouse(path=path, records=records)


@pytest.fixture(scope="session")
def dashboard_db(tmp_path_factory) -> Warehouse:
    """A warehouse with both studies (built once per test session; tests only read it)."""
    return build_warehouse(tmp_path_factory.mktemp("dashboard") / "warehouse.duckdb")


@pytest.fixture
def make_warehouse() -> Callable[..., Warehouse]:
    """:func:`build_warehouse`, for tests that need a warehouse of their own."""
    return build_warehouse


@pytest.fixture
def empty_db(tmp_path) -> Path:
    """A migrated warehouse holding nothing."""
    db = tmp_path / "empty.duckdb"
    with writer(db):
        pass
    return db


# --- the priors study (paper §4.3): random-graph RNNs, several cell types -------------------

PRIORS_STUDY = StudyRecord(id="priors-demo-1a2b3c4d", kind="priors", config={"preset": "demo"})
OLD_PRIORS_STUDY = StudyRecord(id="priors-old-0000ffff", kind="priors", config={"preset": "old"})
# How each cell type's test accuracy follows the number of vertices (so Table 1 differs by cell).
PRIORS_SLOPES = {"tanh": 0.02, "gru": -0.015}


def priors_records(count: int = 24, *, cells: Sequence[str] = tuple(PRIORS_SLOPES)):
    """Networks of a priors study: BA and connected WS graphs, each trained as every cell type.

    Test accuracy is a noisy linear function of the vertex count with a per-cell slope, plus a
    small generator effect; the other metrics follow it, as a real study's do.
    """
    rng = np.random.default_rng(3)
    records = []
    for i in range(count):
        cell, n = cells[i % len(cells)], 8 + i % 7
        if i // len(cells) % 2:
            generator, graph = "ws", nx.connected_watts_strogatz_graph(n, 4, 0.3, seed=i)
        else:
            generator, graph = "ba", nx.barabasi_albert_graph(n, 2, seed=i)
        slope = PRIORS_SLOPES.get(cell, 0.0)
        accuracy = 0.7 + slope * (n - 11) + 0.03 * (generator == "ws") + rng.normal(0, 0.02)
        records.append(
            NetworkRecord(
                name=f"{generator}-{i:02d}-{cell}",
                graph=graph,
                family="rnn",
                cell=cell,
                generator=generator,
                seed=i,
                metrics=[
                    Metric(2, "test", "acc", accuracy),
                    Metric(2, "test", "loss", 1.2 - accuracy + rng.normal(0, 0.02)),
                    Metric(2, "train", "acc", accuracy + 0.02),
                    Metric(2, "train", "loss", 1.1 - accuracy),
                    Metric(2, "", "wall_time", float(rng.uniform(1, 3))),
                ],
            )
        )
    return records


@pytest.fixture(scope="session")
def priors_db(tmp_path_factory) -> Warehouse:
    """A warehouse with an older priors study (6 networks, one cell), the random-graph study
    (not a priors study) and the newest priors study (24 networks, tanh and gru, BA and WS)."""
    path = tmp_path_factory.mktemp("priors") / "warehouse.duckdb"
    records = {
        OLD_PRIORS_STUDY.id: priors_records(6, cells=["lstm"]),
        RANDOM_STUDY.id: random_graph_records(12),
        PRIORS_STUDY.id: priors_records(24),
    }
    for study in (OLD_PRIORS_STUDY, RANDOM_STUDY, PRIORS_STUDY):  # stored in this order
        store_records(path, study, records[study.id])
    land_missing_features(path, n_jobs=1)
    return Warehouse(path=path, records=records)
