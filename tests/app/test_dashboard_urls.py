"""Page state in the URL: a shared or reloaded link shows the same study, target, group, method."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

MAIN = Path(__file__).resolve().parents[2] / "app" / "dashboard" / "main.py"


def open_with(monkeypatch, db: Path, page: str, **params: str) -> AppTest:
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    app = AppTest.from_file(MAIN, default_timeout=60)
    for name, value in params.items():
        app.query_params[name] = value
    app.run()
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_a_link_opens_the_correlations_view_it_names(monkeypatch, dashboard_db):
    app = open_with(monkeypatch, dashboard_db.path, "views/correlations.py", study="random-graphs",
                    target="train_loss", group="cell", method="spearman")  # fmt: skip
    assert app.selectbox(key="study").value == "random-graphs"
    assert app.selectbox(key="correlations_target").value == "train_loss"
    assert app.selectbox(key="correlations_by").value == "cell"
    assert app.radio(key="correlations_method").value == "spearman"
    shown = app.dataframe[0].value
    assert "spearman_rho" in shown.columns and set(shown["group"]) == {"gru", "tanh"}
    # One study only: its 24 networks, 16 gru and 8 tanh (the DAG study's 6 are not pooled in).
    assert shown.groupby("group")["n"].max().to_dict() == {"gru": 16, "tanh": 8}


def test_choices_are_written_back_to_the_url(monkeypatch, dashboard_db):
    app = open_with(monkeypatch, dashboard_db.path, "views/correlations.py")
    app.selectbox(key="study").set_value("layered-dags").run()
    app.radio(key="correlations_method").set_value("spearman").run()
    assert app.query_params["study"] == "layered-dags"
    assert app.query_params["method"] == "spearman"
    app.selectbox(key="study").set_value(None).run()  # All studies: no study in the URL
    assert "study" not in app.query_params


def test_a_stale_link_falls_back_to_the_defaults(monkeypatch, dashboard_db):
    app = open_with(monkeypatch, dashboard_db.path, "views/scatter.py", study="gone",
                    target="no_such_metric", group="no_such_column")  # fmt: skip
    assert app.selectbox(key="study").value is None
    assert app.selectbox(key="scatter_target").value == "test_acc"
    assert app.selectbox(key="scatter_colour").value is None
