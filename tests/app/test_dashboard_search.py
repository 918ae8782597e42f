"""The "Search" page, driven with AppTest on a search warehouse the test builds by hand."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pyarrow as pa
import pytest
from scipy import stats
from streamlit.testing.v1 import AppTest

from tests.app.search_warehouse import STUDY, best_so_far_records
from warehouse.records import Metric, NetworkRecord
from warehouse.store import store_records

MAIN = Path(__file__).resolve().parents[2] / "app" / "dashboard" / "main.py"


def test_best_so_far_counts_only_measured_candidates(monkeypatch, tmp_path):
    db = tmp_path / "w.duckdb"
    store_records(db, STUDY, best_so_far_records())
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
    scatter = app.get("vega_lite_chart")[2]
    spec = json.dumps(json.loads(scatter.proto.spec))
    assert "scored_by" in spec  # measured and predicted are told apart
    points = pa.ipc.open_stream(scatter.proto.datasets[0].data.data).read_all().to_pylist()
    predicted = [p for p in points if p["scored_by"] == "predicted"]
    assert [(p["score"], p["test_acc"]) for p in predicted] == [(0.95, None)]
    best = app.dataframe[0].value
    assert best["best_validation_acc"].tolist() == [0.7, 0.8]
    assert best["predicted"].tolist() == [0, 1] and best["trainings"].tolist() == [3, 2]


def labelled_candidate(index: int, score: float, *, generation: int, measured: bool = True):
    graph = nx.DiGraph([(0, 1), (1, 2), (0, 2)])
    nx.set_node_attributes(graph, {0: "input", 1: "conv3x3", 2: "output"}, "op")
    graph.nodes[1]["channels"] = 16 + index
    metrics = ([Metric(1, "validation", "acc", score), Metric(1, "test", "acc", score - 0.1)]
               if measured else [Metric(0, "validation", "predicted_acc", score)])  # fmt: skip
    return NetworkRecord(
        name=f"genetic/seed0/{index:04d}", graph=graph, family="nas_cnn", seed=0,
        generator="genetic", metrics=metrics,
        features={"width": 16.0 + index, "noise": float((index * 7) % 5)},
        labels={"strategy": "genetic", "scored_by": "measured" if measured else "predicted"},
        attributes={"generation": generation, "query": index + 1, "search_run": "genetic/seed0"},
    )  # fmt: skip


def chart_rows(chart) -> list[dict]:
    return [row for d in chart.proto.datasets
            for row in pa.ipc.open_stream(d.data.data).read_all().to_pylist()]  # fmt: skip


def test_generations_held_out_tau_genotypes_importances_and_table_curves(monkeypatch, tmp_path):
    from ingest.nas_bench_search import SearchOutcome
    from ingest.nas_table_curves import store_table_search

    db = tmp_path / "w.duckdb"
    scores = [0.50, 0.62, 0.55, 0.71, 0.60, 0.80, 0.66, 0.90, 0.58, 0.64, 0.70, 0.75]
    # generation = index // 4; 12 trained rows: the regressors need 10 for importances
    records = [labelled_candidate(i, s, generation=i // 4) for i, s in enumerate(scores)]
    records.append(labelled_candidate(12, 0.97, generation=1, measured=False))
    store_records(db, STUDY, records)
    runs = [
        SearchOutcome("random", seed, None, 10, best, best, 0, curve)
        for seed, best, curve in ((0, 0.7, ((1, 0.5), (4, 0.7))), (1, 0.6, ((1, 0.6),)))
    ]
    store_table_search(db, "cora", runs, top_fraction=0.01, budget=10, regressor="xgboost")
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    app = AppTest.from_file(MAIN, default_timeout=120).run()
    app.switch_page("views/search.py").run()
    assert not app.exception, [e.value for e in app.exception]
    charts = app.get("vega_lite_chart")

    generations = {(r["generation"], r["scored_by"], r["statistic"]): r["score"]
                   for r in chart_rows(charts[1])}  # fmt: skip
    assert generations == {
        (0, "measured", "best"): 0.71,
        (0, "measured", "median"): 0.585,
        (1, "measured", "best"): 0.90,
        (1, "measured", "median"): 0.73,
        (1, "predicted", "best"): 0.97,
        (1, "predicted", "median"): 0.97,
        (2, "measured", "best"): 0.75,
        (2, "measured", "median"): pytest.approx(0.67),
    }

    held_out = chart_rows(charts[3])  # every trained candidate, none of the predicted one
    assert sorted(r["validation_acc"] for r in held_out) == sorted(scores)
    tau = stats.kendalltau([r["validation_acc"] for r in held_out],
                           [r["predicted"] for r in held_out]).statistic  # fmt: skip
    assert app.metric[0].value == f"{tau:.3f}"

    genotypes = charts[4:7]  # the three best trained, best first, labelled by operation
    titles = [json.loads(c.proto.spec)["title"] for c in genotypes]
    assert [t.split(":")[0] for t in titles] == [f"genetic/seed0/{i:04d}" for i in (7, 5, 11)]
    assert {r["op"] for r in chart_rows(genotypes[0]) if "op" in r} == {
        "input", "conv3x3×23", "output"}  # fmt: skip

    # two runs: best 0.5 then 0.7 from query 4, and 0.6 throughout; with two runs the bootstrap
    # means are the lower run, the mean or the higher run, so the band spans the two runs
    table = {r["query"]: (r["mean"], r["low"], r["high"]) for r in chart_rows(charts[7])
             if "mean" in r}  # fmt: skip
    assert table[1] == pytest.approx((0.55, 0.5, 0.6))
    assert table[10] == pytest.approx((0.65, 0.6, 0.7))

    app.button(key="search_importances").click().run()
    assert not app.exception, [e.value for e in app.exception]
    bars = chart_rows(app.get("vega_lite_chart")[4])
    assert {r["feature"] for r in bars} == {"width", "noise"}
