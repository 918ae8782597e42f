"""The "Search" page, driven with AppTest on a search warehouse the test builds by hand."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pyarrow as pa
from streamlit.testing.v1 import AppTest

from warehouse.records import Metric, NetworkRecord, StudyRecord
from warehouse.store import store_records

MAIN = Path(__file__).resolve().parents[2] / "app" / "dashboard" / "main.py"
STUDY = StudyRecord(id="nas-test", kind="nas", config={})


def candidate(strategy: str, index: int, query: int, score: float, *, measured: bool = True):
    graph = nx.DiGraph([(0, 1), (1, 2)])
    metrics = ([Metric(1, "validation", "acc", score), Metric(1, "test", "acc", score - 0.1)]
               if measured else [Metric(0, "validation", "predicted_acc", score)])  # fmt: skip
    return NetworkRecord(
        name=f"{strategy}/seed0/{index:04d}", graph=graph, family="nas_cnn", seed=0,
        generator=strategy, metrics=metrics,
        labels={"strategy": strategy, "scored_by": "measured" if measured else "predicted"},
        attributes={"generation": index, "query": query, "search_run": f"{strategy}/seed0"},
    )  # fmt: skip


def test_best_so_far_counts_only_measured_candidates(monkeypatch, tmp_path):
    db = tmp_path / "w.duckdb"
    records = [candidate("genetic", i, i + 1, s) for i, s in enumerate([0.5, 0.7, 0.6])]
    records += [candidate("genetic_predictor", 0, 1, 0.4),
                candidate("genetic_predictor", 1, 2, 0.8),
                candidate("genetic_predictor", 2, 2, 0.95, measured=False)]  # fmt: skip
    store_records(db, STUDY, records)
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    app = AppTest.from_file(MAIN, default_timeout=60).run()
    app.switch_page("views/search.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.selectbox(key="search_study").value == "nas-test"
    curve = app.get("vega_lite_chart")[0]
    tables = [pa.ipc.open_stream(d.data.data).read_all() for d in curve.proto.datasets]
    rows = sorted((r["strategy"], r["query"], r["mean"]) for r in tables[0].to_pylist())
    assert rows == [("genetic", 1, 0.5), ("genetic", 2, 0.7), ("genetic", 3, 0.7),
                    ("genetic_predictor", 1, 0.4), ("genetic_predictor", 2, 0.8)]  # fmt: skip
    scatter = app.get("vega_lite_chart")[1]
    spec = json.dumps(json.loads(scatter.proto.spec))
    assert "scored_by" in spec  # measured and predicted are told apart
    points = pa.ipc.open_stream(scatter.proto.datasets[0].data.data).read_all().to_pylist()
    predicted = [p for p in points if p["scored_by"] == "predicted"]
    assert [(p["score"], p["test_acc"]) for p in predicted] == [(0.95, None)]
    best = app.dataframe[0].value
    assert best["best_validation_acc"].tolist() == [0.7, 0.8]
    assert best["predicted"].tolist() == [0, 1] and best["trainings"].tolist() == [3, 2]
