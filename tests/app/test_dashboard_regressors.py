"""The Regressors page: fits cached per study data version, per-regressor progress, a stale mark,
targets the study has, bootstrap intervals — checked against evaluate_regressors called directly."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.meta_dataset import load_meta_dataset
from analytics.regressors import evaluate_regressors
from app.dashboard import regressor_runs
from tests.app.conftest import RANDOM_STUDY, build_warehouse, random_graph_records
from warehouse.store import store_records

MAIN = Path(__file__).resolve().parents[2] / "app" / "dashboard" / "main.py"
RANDOM, DAGS = "random-graphs", "layered-dags"


def regressors_page(monkeypatch, db: Path, *, study: str | None = None) -> AppTest:
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    app = AppTest.from_file(MAIN, default_timeout=60).run()
    if study is not None:
        app.selectbox(key="study").set_value(study).run()
    app.switch_page("views/regressors.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def run(app: AppTest, names=("bayesian_ridge",), folds: int = 3) -> AppTest:
    app.multiselect(key="regressors_names").set_value(list(names))
    app.number_input(key="regressors_folds").set_value(folds)
    app.number_input(key="regressors_repeats").set_value(1)
    app.button[0].click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def caption(app: AppTest) -> str:
    (text,) = [c.value for c in app.caption if c.value.startswith("Regressors ")]
    return text


@pytest.fixture
def counted_fits(monkeypatch):
    """Every evaluate_regressors call the page makes, by regressor."""
    calls = []
    real = regressor_runs.evaluate_regressors

    def counting(*args, **kwargs):
        calls.append(tuple(kwargs["regressors"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(regressor_runs, "evaluate_regressors", counting)
    return calls


def test_an_unrelated_ingest_keeps_the_cache_and_new_data_refits(
    monkeypatch, tmp_path, counted_fits
):
    db = build_warehouse(tmp_path / "w.duckdb", studies=[RANDOM], count=12).path
    app = run(regressors_page(monkeypatch, db, study=RANDOM))
    assert counted_fits == [("bayesian_ridge",)] and "fitted now: bayesian_ridge" in caption(app)
    before = app.dataframe[0].value
    build_warehouse(db, studies=[DAGS])  # another study lands: the file changes, RANDOM not
    app.run()
    assert counted_fits == [("bayesian_ridge",)] and "from the cache" in caption(app)
    assert app.dataframe[0].value.equals(before)
    run(app, names=("bayesian_ridge", "random_forest"))  # only the added regressor is fitted
    assert counted_fits == [("bayesian_ridge",), ("random_forest",)]
    store_records(db, RANDOM_STUDY, random_graph_records(14)[12:])  # RANDOM itself grows
    app.run()
    assert counted_fits[2:] == [("bayesian_ridge",), ("random_forest",)]
    meta = load_meta_dataset(db, study=RANDOM)
    expected = evaluate_regressors(
        meta.frame, target="test_acc", features=meta.features_for("test_acc"),
        regressors=["bayesian_ridge", "random_forest"], n_splits=3, n_repeats=1,
    ).scores  # fmt: skip
    shown = app.dataframe[0].value
    assert shown["n"].tolist() == [14, 14]
    assert shown["cv_r2_mean"].tolist() == pytest.approx(expected["cv_r2_mean"].to_list())


def test_editing_after_a_run_marks_the_results_stale(monkeypatch, dashboard_db):
    app = run(regressors_page(monkeypatch, dashboard_db.path))
    assert not [w for w in app.warning if w.value.startswith("Stale")]
    shown = app.dataframe[0].value
    app.number_input(key="regressors_folds").set_value(4).run()
    (stale,) = [w.value for w in app.warning if w.value.startswith("Stale")]
    assert "`n_splits`" in stale and "`target`" not in stale
    assert app.dataframe[0].value.equals(shown)  # the old results stay, marked
    app.button[0].click().run()
    assert not [w for w in app.warning if w.value.startswith("Stale")]


def test_the_target_picker_offers_only_metrics_the_study_has(monkeypatch, dashboard_db):
    app = regressors_page(monkeypatch, dashboard_db.path)
    assert app.selectbox(key="regressors_target").options == ["test_acc", "train_loss"]
    app.selectbox(key="study").set_value(DAGS).run()  # the DAGs have a test accuracy only
    assert app.selectbox(key="regressors_target").options == ["test_acc"]


def test_bootstrap_intervals_on_request_match_evaluate_regressors(monkeypatch, dashboard_db):
    app = regressors_page(monkeypatch, dashboard_db.path, study=RANDOM)
    app.checkbox(key="regressors_bootstrap").check()
    run(app)
    meta = load_meta_dataset(dashboard_db.path, study=RANDOM)
    expected = evaluate_regressors(
        meta.frame, target="test_acc", features=meta.features_for("test_acc"),
        regressors=["bayesian_ridge"], n_splits=3, n_repeats=1, bootstrap=500,
    ).scores.row(0, named=True)  # fmt: skip
    shown = app.dataframe[0].value.iloc[0]
    for column in ("cv_r2_low", "cv_r2_high", "kendall_tau_low", "spearman_pred_high"):
        assert shown[column] == pytest.approx(expected[column], rel=1e-12), column
    assert shown["cv_r2_low"] <= shown["cv_r2_mean"] <= shown["cv_r2_high"]


def test_each_regressor_reports_its_own_progress(dashboard_db):
    meta = load_meta_dataset(dashboard_db.path, study=RANDOM)
    seen = []
    settings = dict(version_of=f"progress-test|{RANDOM}", target="test_acc", by="cell",
                    n_splits=3, n_repeats=1)  # fmt: skip
    regressor_runs.evaluate(meta, regressors=["bayesian_ridge", "random_forest"],
                            on_progress=lambda *event: seen.append(event), **settings)  # fmt: skip
    for name in ("bayesian_ridge", "random_forest"):
        fractions = [f for n, f, cached in seen if n == name and not cached]
        # gru (16 networks) gets 3 folds + the paper split = 4 fits, reported one by one;
        # tanh (8 networks, fewer than min_rows = 10) is not fitted.
        assert fractions == [i / 4 for i in range(1, 5)], name
    seen.clear()
    regressor_runs.evaluate(meta, regressors=["random_forest"],
                            on_progress=lambda *event: seen.append(event), **settings)  # fmt: skip
    assert seen == [("random_forest", 1.0, True)]
