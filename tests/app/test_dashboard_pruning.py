"""The Pruning page, driven with AppTest on a warehouse of two hand-made pruning runs."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from ingest.feature_landing import land_missing_features
from tests.app.pruning_warehouse import store_hand_runs

MAIN = Path(__file__).resolve().parents[2] / "app" / "dashboard" / "main.py"


@pytest.fixture
def app(tmp_path, monkeypatch) -> AppTest:
    db = tmp_path / "w.duckdb"
    store_hand_runs(db)  # random seeds 0 and 1, magnitude_class_blinded seed 0
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


def test_a_newer_recurrent_pruning_study_is_not_offered_as_a_feed_forward_one(
    tmp_path, monkeypatch
):
    from tests.app.pruning_warehouse import STUDY
    from tests.app.rnn_pruning_db import build_rnn_pruning_db

    db = tmp_path / "w.duckdb"
    store_hand_runs(db)
    build_rnn_pruning_db(db)  # newer, and it holds pruning runs too
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    test = AppTest.from_file(MAIN, default_timeout=60).run()
    test.switch_page("views/pruning.py").run()
    assert not test.exception, [e.value for e in test.exception]
    assert test.selectbox(key="pruning_study").options == [STUDY.id]
    kept = dict(
        zip(test.dataframe[0].value["layers"], test.dataframe[0].value["kept"], strict=True)
    )
    assert kept == {"0 → 1": 2, "1 → 2": 1}  # random seed 1, step 2, as on its own
