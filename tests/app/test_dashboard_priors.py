"""The "Structural priors" page, driven with AppTest on warehouses built in a temporary directory.

Every number the page shows is checked against the backend called directly on the same study
(correlation_table, evaluate_regressors, cross_validated_predictions per cell).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from analytics.correlation import correlation_table
from analytics.meta_dataset import load_meta_dataset
from analytics.regressors import cross_validated_predictions, evaluate_regressors
from tests.app.conftest import OLD_PRIORS_STUDY, PRIORS_STUDY, RANDOM_STUDY

MAIN = Path(__file__).resolve().parents[2] / "app" / "dashboard" / "main.py"
PAGE = "views/priors.py"
NEW, OLD = PRIORS_STUDY.id, OLD_PRIORS_STUDY.id


def open_page(monkeypatch, db: Path) -> AppTest:
    """Run the dashboard on ``db``, switch to the priors page; fail on any exception."""
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    app = AppTest.from_file(MAIN, default_timeout=60).run()
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def chart(app: AppTest, index: int) -> tuple[dict, list[pa.Table]]:
    """The Vega-Lite spec and data tables of the ``index``-th Altair chart on the page."""
    element = app.get("vega_lite_chart")[index]
    datasets = [pa.ipc.open_stream(d.data.data).read_all() for d in element.proto.datasets]
    return json.loads(element.proto.spec), datasets


def marks(spec: dict) -> set[str]:
    """Every mark type in a (layered, faceted) spec."""
    found = set()
    stack = [spec]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            mark = node.get("mark")
            if mark is not None:
                found.add(mark if isinstance(mark, str) else mark["type"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def run_regressors(app: AppTest, names: list[str], *, folds: int = 3) -> AppTest:
    app.multiselect(key="priors_regressors").set_value(names)
    app.number_input(key="priors_folds").set_value(folds)
    app.number_input(key="priors_repeats").set_value(1)
    app.button[0].click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_the_newest_priors_study_is_shown_with_its_accuracies(monkeypatch, priors_db):
    app = open_page(monkeypatch, priors_db.path)
    study = app.selectbox(key="priors_study")
    # Priors studies only, newest first, with readable labels ending in the id.
    assert [label.rsplit(" [", 1)[1] for label in study.options] == [f"{NEW}]", f"{OLD}]"]
    assert (
        study.options[0].startswith("priors · ") and " · n=24 · preset=demo [" in study.options[0]
    )
    assert study.value == NEW
    spec, (runs,) = chart(app, 0)
    assert {"boxplot", "circle"} <= marks(spec)
    assert spec["facet"]["column"]["field"] == "cell"
    meta = load_meta_dataset(priors_db.path, study=NEW).frame
    expected = {r["name"]: (r["cell"], r["generator"], r["test_acc"]) for r in meta.to_dicts()}
    shown = {
        name: (cell, generator, acc)
        for name, cell, generator, acc in zip(
            *(runs[c].to_pylist() for c in ("name", "cell", "generator", "test_acc")), strict=True
        )
    }
    assert shown == expected
    assert len(shown) == 24 and {c for c, _, _ in shown.values()} == {"tanh", "gru"}
    assert any("press **Run**" in info.value for info in app.info)  # nothing fitted yet
    assert len(app.dataframe) == 1


def test_the_correlation_table_is_table_1_of_correlation_table(monkeypatch, priors_db):
    app = open_page(monkeypatch, priors_db.path)
    meta = load_meta_dataset(priors_db.path, study=NEW)
    expected = correlation_table(
        meta.frame, target="test_acc", features=meta.features_for("test_acc"), by="cell"
    )
    shown = app.dataframe[0].value.set_index("feature")
    assert list(shown.columns) == ["gru", "tanh"]
    assert list(shown.index) == meta.features_for("test_acc")
    for row in expected.iter_rows(named=True):
        value = shown.loc[row["feature"], row["group"]]
        if math.isnan(row["pearson_r"]):
            assert math.isnan(value), row
        else:
            assert value == pytest.approx(row["pearson_r"], rel=1e-12), row
    # The fixture's accuracy grows with the vertex count for tanh and falls for gru.
    assert shown.loc["nodes", "tanh"] > 0.5 and shown.loc["nodes", "gru"] < -0.5


def test_run_fits_the_regressors_per_cell_and_plots_predictions(monkeypatch, priors_db):
    app = run_regressors(open_page(monkeypatch, priors_db.path), ["bayesian_ridge", "xgboost"])
    meta = load_meta_dataset(priors_db.path, study=NEW)
    features = meta.features_for("test_acc")
    expected = evaluate_regressors(
        meta.frame, target="test_acc", features=features, by="cell",
        regressors=["bayesian_ridge", "xgboost"], n_splits=3, n_repeats=1,
    )  # fmt: skip
    shown = app.dataframe[1].value
    assert len(shown) == expected.scores.height == 4
    for row in expected.scores.iter_rows(named=True):
        line = shown[(shown["cell"] == row["group"]) & (shown["regressor"] == row["regressor"])]
        assert len(line) == 1 and line["n"].iloc[0] == row["n"] == 12
        for column in ("cv_r2_mean", "cv_r2_std", "paper_r2"):
            assert line[column].iloc[0] == pytest.approx(row[column], rel=1e-9), column

    assert app.selectbox(key="priors_regressor").options == ["bayesian_ridge", "xgboost"]
    app.selectbox(key="priors_regressor").set_value("xgboost").run()
    assert not app.exception
    spec, datasets = chart(app, 1)
    points = next(d for d in datasets if "predicted" in d.column_names)
    diagonal = next(d for d in datasets if "predicted" not in d.column_names)
    shown = dict(zip(points["name"].to_pylist(), points["predicted"].to_pylist(), strict=True))
    assert len(shown) == 24
    for cell in ("tanh", "gru"):
        reference = cross_validated_predictions(
            meta.frame.filter(meta.frame["cell"] == cell), target="test_acc",
            features=features, regressor="xgboost", n_splits=3,
        )  # fmt: skip
        for name, predicted in zip(reference["name"], reference["predicted"], strict=True):
            assert shown[name] == pytest.approx(predicted, rel=1e-12), name
    low, high = diagonal["actual"].to_pylist()  # the y = x line spans every point
    values = points["actual"].to_pylist() + points["predicted"].to_pylist()
    assert (low, high) == (min(values), max(values))
    assert {"circle", "line"} <= marks(spec)


def test_a_small_old_study_can_be_picked(monkeypatch, priors_db):
    app = open_page(monkeypatch, priors_db.path)
    app.selectbox(key="priors_study").set_value(OLD).run()
    assert not app.exception
    assert list(app.dataframe[0].value.columns) == ["feature", "lstm"]
    run_regressors(app, ["bayesian_ridge"])
    scores = app.dataframe[1].value
    assert scores["note"].tolist() == ["only 6 rows"] and scores["cv_r2_mean"].isna().all()
    _, datasets = chart(app, 1)  # 6 networks still get out-of-fold predictions (3 folds)
    assert max(d.num_rows for d in datasets) == 6


def test_a_warehouse_without_a_priors_study_says_how_to_run_one(
    monkeypatch, tmp_path, make_warehouse
):
    db = make_warehouse(tmp_path / "random.duckdb", studies=[RANDOM_STUDY.id], count=12).path
    app = open_page(monkeypatch, db)
    assert any("sparsescope study priors --preset demo" in info.value for info in app.info)
    assert not app.get("vega_lite_chart") and not app.dataframe


def test_missing_and_empty_warehouses_give_friendly_messages(monkeypatch, tmp_path, empty_db):
    app = open_page(monkeypatch, tmp_path / "nowhere.duckdb")
    assert any("No warehouse" in info.value for info in app.info)
    app = open_page(monkeypatch, empty_db)
    assert any("empty" in info.value for info in app.info)
    assert not app.error
