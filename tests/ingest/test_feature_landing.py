"""Features land with their networks, computed from the batch; analytics never writes."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

from ingest.feature_landing import features_of_frames, land_missing_features
from warehouse import queries
from warehouse.records import NetworkRecord, records_to_frames
from warehouse.store import store_records

ANALYTICS = Path(__file__).resolve().parents[2] / "analytics"


def test_features_of_a_batch_match_networkx_on_its_graphs():
    graphs = {"star": nx.star_graph(5), "cycle": nx.cycle_graph(7), "pair": nx.empty_graph(2)}
    frames = records_to_frames("s", [NetworkRecord(k, graph=g) for k, g in graphs.items()])
    rows = features_of_frames(frames)
    ids = dict(frames["networks"].select("name", "id").iter_rows())
    value = {(n, f): v for n, f, v in rows.iter_rows()}
    for name, graph in graphs.items():
        assert value[(ids[name], "nodes")] == graph.number_of_nodes()
        assert value[(ids[name], "edges")] == graph.number_of_edges()
        # The paper's density E / (N (N-1)): networkx's density of the graph made directed.
        assert value[(ids[name], "density")] == pytest.approx(nx.density(graph.to_directed()) / 2)


def test_the_features_command_orchestration_fills_only_what_is_missing(tmp_path):
    db = tmp_path / "w.duckdb"
    store_records(db, *_study_and_records())
    assert "density" not in queries.meta_dataset(db).columns  # imported without features
    assert land_missing_features(db, n_jobs=1) == 2
    meta = queries.meta_dataset(db).sort("name")
    assert meta["density"].to_list() == pytest.approx([3 / 12, 6 / 12])  # E / (N (N-1))
    assert land_missing_features(db, n_jobs=1) == 0


def _study_and_records():
    from warehouse.records import StudyRecord

    study = StudyRecord(id="s", kind="import")
    return study, [NetworkRecord("a", graph=nx.path_graph(4)),
                   NetworkRecord("b", graph=nx.complete_graph(4))]  # fmt: skip


def test_analytics_does_not_write_the_warehouse():
    writing = {"writer", "open_connection", "store_records", "store_frames", "store_features",
               "load_staged", "stage_records", "stage_frames", "delete_study_rows"}  # fmt: skip
    for path in ANALYTICS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("warehouse"):
                names = {alias.name for alias in node.names}
                assert not names & writing, f"{path} imports {names & writing}"
