"""The Pruning page, driven with AppTest on a warehouse of two hand-made pruning runs."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import polars as pl
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from ingest.feature_landing import land_missing_features
from warehouse.pruning_store import PruningRunRecord, store_pruning_run
from warehouse.records import Metric, NetworkRecord, StudyRecord

MAIN = Path(__file__).resolve().parents[2] / "app" / "dashboard" / "main.py"
STUDY = StudyRecord(id="prune-ffn-test", kind="prune-ffn")


def _base() -> nx.DiGraph:
    """2 inputs -> 2 hidden -> 1 output: layer pairs 0->1 (4 edges) and 1->2 (2 edges)."""
    graph = nx.DiGraph()
    graph.add_nodes_from([(0, {"layer": 0}), (1, {"layer": 0}), (2, {"layer": 1}),
                          (3, {"layer": 1}), (4, {"layer": 2})])  # fmt: skip
    graph.add_weighted_edges_from([(0, 2, 1.0), (0, 3, 2.0), (1, 2, 3.0), (1, 3, 4.0),
                                   (2, 4, 5.0), (3, 4, 6.0)])  # fmt: skip
    return graph


def _store(db: Path, method: str, seed: int, accuracies: list[float]) -> None:
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


@pytest.fixture
def app(tmp_path, monkeypatch) -> AppTest:
    db = tmp_path / "w.duckdb"
    _store(db, "random", 0, [0.6, 0.4])
    _store(db, "random", 1, [0.8, 0.6])
    _store(db, "magnitude_class_blinded", 0, [0.9, 0.85])
    land_missing_features(db, n_jobs=1)
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    test = AppTest.from_file(MAIN, default_timeout=60).run()
    test.switch_page("views/pruning.py").run()
    assert not test.exception, [e.value for e in test.exception]
    return test


def _chart_rows(app: AppTest, index: int) -> list[dict]:
    element = app.get("vega_lite_chart")[index]
    tables = [pa.ipc.open_stream(d.data.data).read_all() for d in element.proto.datasets]
    return [row for table in tables for row in table.to_pylist()]


def test_accuracy_curves_average_the_seeds_with_a_min_max_band(app):
    rows = _chart_rows(app, 0)
    after = {(r["method"], r["step"]): r for r in rows if r["when"] == "after"}
    random2 = after[("random", 2)]
    assert random2["mean"] == pytest.approx(0.5)  # (0.4 + 0.6) / 2
    assert (random2["low"], random2["high"]) == pytest.approx((0.4, 0.6))
    assert random2["sparsity"] == pytest.approx(0.5)  # 3 of 6 connections pruned at step 2
    assert after[("random", 0)]["mean"] == pytest.approx(0.9)  # the base, unpruned
    before = {(r["method"], r["step"]): r["mean"] for r in rows if r["when"] == "before"}
    assert before[("magnitude_class_blinded", 1)] == pytest.approx(0.8)
    spec = json.loads(app.get("vega_lite_chart")[0].proto.spec)
    assert "strokeDash" in json.dumps(spec)


def test_the_feature_path_and_the_layer_table_show_the_surviving_structure(app):
    app.selectbox(key="pruning_feature").set_value("edges").run()
    rows = _chart_rows(app, 1)
    edges = {(r["method"], r["step"]): r["edges"] for r in rows}
    assert edges[("random", 0)] == 6 and edges[("random", 1)] == 5 and edges[("random", 2)] == 3
    table = app.dataframe[0].value
    lost = dict(zip(table["layers"], table["lost_fraction"], strict=True))
    kept = dict(zip(table["layers"], table["kept"], strict=True))
    assert kept == {"0 → 1": 2, "1 → 2": 1}  # step 2: (0,2), (0,3) and (2,4) are gone
    assert lost == pytest.approx({"0 → 1": 0.5, "1 → 2": 0.5})
