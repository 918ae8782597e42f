"""Bootstrap intervals of r on the Correlations page, on request (their statistics are checked
against Fisher's z in tests/analytics/test_correlation_intervals.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.correlation_intervals import correlation_intervals
from analytics.meta_dataset import load_meta_dataset

MAIN = Path(__file__).resolve().parents[2] / "app" / "dashboard" / "main.py"


def test_intervals_appear_on_request_around_each_r(monkeypatch, dashboard_db):
    monkeypatch.setenv("SPARSESCOPE_DB", str(dashboard_db.path))
    app = AppTest.from_file(MAIN, default_timeout=60).run()
    app.switch_page("views/correlations.py").run()
    app.selectbox(key="correlations_by").set_value("cell").run()
    assert "ci_low" not in app.dataframe[0].value.columns  # only on request
    app.checkbox(key="correlations_bootstrap").check().run()
    assert not app.exception
    shown = app.dataframe[0].value.set_index(["group", "feature"])
    meta = load_meta_dataset(dashboard_db.path)
    expected = correlation_intervals(meta.frame, target="test_acc", by="cell", n_resamples=1000,
                                     features=meta.features_for("test_acc"))  # fmt: skip
    assert len(expected) == len(shown)
    for row in expected.drop_nans(["low"]).iter_rows(named=True):
        line = shown.loc[(row["group"], row["feature"])]
        assert line["ci_low"] == pytest.approx(row["low"]) and line["ci_high"] == pytest.approx(
            row["high"]
        )
        assert line["ci_low"] <= line["pearson_r"] <= line["ci_high"]
    assert list(shown.columns[:4]) == ["n", "pearson_r", "ci_low", "ci_high"]
