"""The "Recurrent pruning" page, driven with AppTest on a warehouse with known accuracies
(tests/app/rnn_pruning_db.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.rnn_pruning_db import STUDY, build_rnn_pruning_db
from warehouse import queries

MAIN = Path(__file__).resolve().parents[2] / "app" / "dashboard" / "main.py"
PAGE = "views/pruning_rnn.py"


@pytest.fixture(scope="module")
def rnn_db(tmp_path_factory):
    return build_rnn_pruning_db(tmp_path_factory.mktemp("rnn-dash") / "w.duckdb")


def open_page(monkeypatch, db: Path) -> AppTest:
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    app = AppTest.from_file(MAIN, default_timeout=60).run()
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_curves_safe_compression_and_structure_of_the_chosen_cell(monkeypatch, rnn_db):
    app = open_page(monkeypatch, rnn_db)
    assert app.selectbox(key="rnn_study").value == STUDY.id
    app.radio(key="rnn_cell").set_value("lstm").run()
    element = app.get("vega_lite_chart")[0]
    (curve,) = [pa.ipc.open_stream(d.data.data).read_all() for d in element.proto.datasets]
    rows = {(r["target"], r["percent"], r["retrain_epochs"]): r for r in curve.to_pylist()}
    # lstm at p = 30 without re-training: 0.8 (seed 0) and 1.0 (seed 1)
    assert rows[("h2h", 30.0, 0)]["acc_mean"] == pytest.approx(0.9)
    assert rows[("h2h", 30.0, 0)]["low"] == pytest.approx(0.9 - 0.1414, abs=1e-3)
    assert {r["cell"] for r in curve.to_pylist()} == {"lstm"}
    assert "facet" in json.loads(element.proto.spec)

    safe = app.dataframe[0].value
    assert safe["target"].to_list() == ["both", "h2h"]
    assert safe["safe_percent_mean"].to_list() == [30.0, 30.0]
    assert safe["paper"].to_list() == [60.0, 70.0]

    app.selectbox(key="rnn_target").set_value("h2h").run()
    app.selectbox(key="rnn_seed").set_value(1).run()
    app.selectbox(key="rnn_percent").set_value(50.0).run()
    assert not app.exception, [e.value for e in app.exception]
    network = queries.networks(rnn_db).filter(
        queries.networks(rnn_db)["name"] == "lstm/s1/h2h/p50/e0"
    )["network_id"][0]
    graph = queries.load_graph(rnn_db, network_id=network)
    h2h = sum(1 for _, _, r in graph.edges(data="recurrent", default=False) if r)
    structure = app.dataframe[1].value
    assert structure.loc[structure["kind"] == "h2h", "connections"].sum() == h2h
    assert structure.loc[structure["kind"] == "i2h", "connections"].sum() == 2 * 3 + 3 * 3


def test_a_warehouse_without_a_recurrent_pruning_study_says_how_to_run_one(
    monkeypatch, dashboard_db
):
    app = open_page(monkeypatch, dashboard_db.path)
    assert "sparsescope study prune-rnn" in app.info[0].value
