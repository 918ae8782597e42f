"""The Runs table page, driven with AppTest: values against the meta-dataset read directly.

A 10,000-network warehouse (tiny two-vertex graphs, stored through the bulk path) checks that a
page sends one page of rows to the browser, whatever the warehouse holds.
"""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from warehouse import queries
from warehouse.connection import writer
from warehouse.records import Metric, NetworkRecord, StudyRecord, records_to_frames
from warehouse.store import store_frames

MAIN = Path(__file__).resolve().parents[2] / "app" / "dashboard" / "main.py"
PAGE = "views/runs.py"
BIG = 10_000


def open_runs(monkeypatch, db: Path) -> AppTest:
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    app = AppTest.from_file(MAIN, default_timeout=60).run()
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


@pytest.fixture(scope="module")
def big_db(tmp_path_factory) -> Path:
    """10,000 networks of two vertices, each with a feature and a test accuracy."""
    rng = np.random.default_rng(5)
    accuracy, width = rng.uniform(0.4, 1.0, BIG), rng.uniform(0, 1, BIG)
    records = [
        NetworkRecord(
            name=f"net-{i:05d}", graph=nx.path_graph(2), generator=("ba", "ws")[i % 2], seed=i,
            metrics=[Metric(1, "test", "acc", float(accuracy[i]))],
            features={"width": float(width[i])},
        )
        for i in range(BIG)
    ]  # fmt: skip
    db = tmp_path_factory.mktemp("big") / "big.duckdb"
    study = StudyRecord(id="big", kind="random-graphs")
    with writer(db) as con:
        store_frames(con, study, records_to_frames(study.id, records))
    return db


def test_the_runs_table_lists_every_network_with_metrics_and_features(monkeypatch, dashboard_db):
    app = open_runs(monkeypatch, dashboard_db.path)
    shown = app.dataframe[0].value
    expected = queries.meta_dataset(dashboard_db.path).to_pandas().set_index("network_id")
    assert len(shown) == 30 and set(shown["network_id"]) == set(expected.index)
    assert {"generator", "cell", "test_acc", "density", "degree.mean"} <= set(shown.columns)
    for row in shown.itertuples():
        assert row.test_acc == pytest.approx(expected.loc[row.network_id, "test_acc"])
        assert row.at_chance == (abs(row.test_acc - 0.5) <= 0.02)  # the rule in the caption
    assert "Rows 1–30 of 30 runs" in app.caption[1].value
    assert "|test_acc − 0.5| ≤ 0.02" in app.caption[1].value


def test_filter_and_sort_run_in_the_warehouse(monkeypatch, dashboard_db):
    app = open_runs(monkeypatch, dashboard_db.path)
    app.selectbox(key="runs_filter_column").set_value("generator")
    app.text_input(key="runs_filter_value").set_value("ba")
    app.selectbox(key="runs_sort").set_value("test_acc")
    app.toggle(key="runs_descending").set_value(True).run()
    assert not app.exception
    meta = queries.meta_dataset(dashboard_db.path)
    expected = meta.filter(pl.col("generator") == "ba").sort("test_acc", descending=True)
    assert app.dataframe[0].value["name"].tolist() == expected["name"].to_list()
    assert expected.height == 12

    app.selectbox(key="runs_filter_column").set_value("density")
    app.selectbox(key="runs_filter_operator").set_value(">")
    app.text_input(key="runs_filter_value").set_value("0.2").run()
    dense = meta.filter(pl.col("density") > 0.2)
    assert set(app.dataframe[0].value["name"]) == set(dense["name"]) and dense.height > 0

    app.text_input(key="runs_filter_value").set_value("dense").run()  # not a number
    assert not app.exception
    assert "numeric" in app.error[0].value and "'dense'" in app.error[0].value


def test_a_selection_is_shared_with_the_other_pages(monkeypatch, dashboard_db):
    app = open_runs(monkeypatch, dashboard_db.path)
    app.selectbox(key="study").set_value("layered-dags").run()
    assert app.multiselect(key="runs_studies:layered-dags").value == ["layered-dags"]
    page = app.dataframe[0].value
    app.session_state["runs_table"] = {"selection": {"rows": [1, 4], "columns": [], "cells": []}}
    app.run()
    assert not app.exception
    chosen = [page["network_id"].iloc[1], page["network_id"].iloc[4]]
    assert app.session_state["selected_network_ids"] == chosen
    assert "2 networks selected" in app.success[0].value
    assert app.dataframe[1].value["network_id"].tolist() == chosen
    app.switch_page("views/network.py").run()
    assert app.selectbox(key="network_id").value == chosen[0]  # the viewer opens the selection


def test_ten_thousand_networks_send_one_page(monkeypatch, big_db):
    app = open_runs(monkeypatch, big_db)
    assert len(app.dataframe[0].value) == 100  # the default page size, not 10,000 rows
    assert f"of {BIG:,} runs (page 1 of 100)" in app.caption[1].value
    app.selectbox(key="runs_sort").set_value("width")
    app.toggle(key="runs_descending").set_value(True)
    app.selectbox(key="runs_page_size").set_value(50)
    app.number_input(key="runs_page").set_value(3).run()
    assert not app.exception
    shown = app.dataframe[0].value
    expected = queries.meta_dataset(big_db).sort("width", descending=True)[100:150]
    assert len(shown) == 50 and shown["name"].tolist() == expected["name"].to_list()
    assert "Rows 101–150 of 10,000 runs (page 3 of 200)" in app.caption[1].value
    app.selectbox(key="runs_filter_column").set_value("test_acc")
    app.selectbox(key="runs_filter_operator").set_value(">=")
    app.text_input(key="runs_filter_value").set_value("0.995").run()
    high = queries.meta_dataset(big_db).filter(pl.col("test_acc") >= 0.995)
    last = math.ceil(high.height / 50)
    assert last < 3  # page 3 is gone: the last page is shown instead
    shown = app.dataframe[0].value
    expected = high.sort("width", descending=True)[50 * (last - 1) :]
    assert shown["name"].tolist() == expected["name"].to_list()
    assert f"(page {last} of {last})" in app.caption[1].value
