"""Fixtures: small, real networks to store."""

from __future__ import annotations

import networkx as nx
import pytest

from warehouse.records import Metric, NetworkRecord, StudyRecord


def make_records(count: int, *, offset: int = 0) -> list[NetworkRecord]:
    """``count`` Barabási–Albert networks with two epochs of test accuracy each."""
    records = []
    for i in range(offset, offset + count):
        graph = nx.barabasi_albert_graph(12 + i % 7, 2, seed=i)
        records.append(
            NetworkRecord(
                name=f"net-{i}",
                graph=graph,
                cell=("gru", "tanh")[i % 2],
                generator="ba",
                generator_params={"n": graph.number_of_nodes(), "m": 2},
                seed=i,
                metrics=[Metric(0, "test", "acc", 0.5), Metric(1, "test", "acc", 0.5 + i / 1000)],
                features={"nodes": graph.number_of_nodes()},
            )
        )
    return records


@pytest.fixture(name="make_records")
def make_records_fixture():
    """The :func:`make_records` factory."""
    return make_records


@pytest.fixture
def study() -> StudyRecord:
    return StudyRecord(id="unit", kind="test", config={"purpose": "unit tests"})


@pytest.fixture
def db(tmp_path):
    return tmp_path / "warehouse.duckdb"
