"""The dashboard's SQL page on results Polars or Streamlit cannot show natively."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

MAIN = str(Path(__file__).resolve().parents[2] / "app" / "dashboard" / "main.py")


def _sql_page(monkeypatch, db: Path) -> AppTest:
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    app = AppTest.from_file(MAIN, default_timeout=60).run()
    app.switch_page("views/sql.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_interval_union_and_infinite_timestamps_show_as_a_table(monkeypatch, dashboard_db):
    app = _sql_page(monkeypatch, dashboard_db.path)
    app.text_area(key="sql_query").set_value(
        "SELECT INTERVAL 90 MINUTE AS i, union_value(n := 2) AS u,"
        " 'infinity'::TIMESTAMP AS t, count(*) AS networks FROM networks"
    )
    app.button[0].click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    row = app.dataframe[0].value.iloc[0].to_dict()
    assert row == {"i": "01:30:00", "u": "2", "t": "infinity", "networks": 30}
