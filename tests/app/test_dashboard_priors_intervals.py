"""Bootstrap intervals on the Structural priors page, on request: of Table 1's r (against
analytics.correlation_intervals called directly) and of the regressors' CV R² (against
evaluate_regressors with the same resamples)."""

from __future__ import annotations

import math

import pytest

from analytics.correlation_intervals import correlation_intervals
from analytics.meta_dataset import load_meta_dataset
from analytics.regressors import evaluate_regressors
from app.dashboard import data, regressor_panel
from tests.app.test_dashboard_priors import NEW, open_page, run_regressors


def test_table_1_intervals_on_request_match_correlation_intervals(monkeypatch, priors_db):
    app = open_page(monkeypatch, priors_db.path)
    assert len(app.dataframe) == 1  # Table 1 only: intervals on request
    app.checkbox(key="priors_r_bootstrap").check().run()
    assert not app.exception, [e.value for e in app.exception]
    shown = app.dataframe[1].value.set_index(["cell", "feature"])
    meta = load_meta_dataset(priors_db.path, study=NEW)
    expected = correlation_intervals(meta.frame, target="test_acc", by="cell",
                                     features=meta.features_for("test_acc"),
                                     n_resamples=data.BOOTSTRAP_RESAMPLES)  # fmt: skip
    assert len(shown) == expected.height
    checked = 0
    for row in expected.iter_rows(named=True):
        line = shown.loc[(row["group"], row["feature"])]
        assert line["n"] == row["n"]
        if math.isnan(row["low"]):
            assert math.isnan(line["low"]) and math.isnan(line["high"])
            continue
        assert (line["low"], line["high"]) == pytest.approx((row["low"], row["high"]))
        assert line["low"] <= line["pearson_r"] <= line["high"]
        checked += 1
    assert checked >= len(meta.features_for("test_acc"))  # most features have an interval


def test_r2_intervals_on_request_match_evaluate_regressors(monkeypatch, priors_db):
    app = open_page(monkeypatch, priors_db.path)
    app.checkbox(key="priors_r2_bootstrap").check()
    run_regressors(app, ["bayesian_ridge"])
    meta = load_meta_dataset(priors_db.path, study=NEW)
    expected = evaluate_regressors(
        meta.frame, target="test_acc", features=meta.features_for("test_acc"), by="cell",
        regressors=["bayesian_ridge"], n_splits=3, n_repeats=1,
        bootstrap=regressor_panel.BOOTSTRAP_RESAMPLES,
    ).scores  # fmt: skip
    shown = app.dataframe[1].value.set_index("cell")
    for row in expected.iter_rows(named=True):
        line = shown.loc[row["group"]]
        for column in ("cv_r2_low", "cv_r2_high"):
            assert line[column] == pytest.approx(row[column], rel=1e-12), column
        assert line["cv_r2_low"] <= line["cv_r2_mean"] <= line["cv_r2_high"]
    assert any("CV R² 95% intervals" in c.value for c in app.caption)
