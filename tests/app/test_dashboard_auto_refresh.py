"""The Auto-refresh toggle on the pages that show a running study's results (AppTest).

Off by default; on, it refreshes every 5 s while a study runs, doubles the wait while the
writer holds the file and stops when nothing runs. (AppTest does not wait for a fragment's
``run_every``; the browser test watches a page update on its own.)
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.dashboard import data
from app.dashboard.auto_refresh import should_rerun
from tests.app.test_dashboard_live import write_running
from warehouse.errors import WarehouseLockedError

MAIN = Path(__file__).resolve().parents[2] / "app" / "dashboard" / "main.py"
PAGES = {"views/priors.py": "priors", "views/runs.py": "runs",
         "views/correlations.py": "correlations", "views/scatter.py": "scatter",
         "views/compare.py": "compare"}  # fmt: skip


def captions(app: AppTest) -> list[str]:
    return [c.value for c in app.caption]


@pytest.mark.parametrize(("script", "page"), PAGES.items(), ids=list(PAGES.values()))
def test_auto_refresh_runs_while_a_study_runs_and_backs_off_while_the_file_is_busy(
    monkeypatch, tmp_path, make_warehouse, script, page
):
    db = make_warehouse(tmp_path / "w.duckdb", studies=["layered-dags"], count=6).path
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    app = AppTest.from_file(MAIN, default_timeout=60).run()
    app.switch_page(script).run()
    toggle = app.toggle(key=f"{page}_auto_refresh")
    assert toggle.value is False  # off by default
    assert not any(c.startswith("Refreshing every") for c in captions(app))
    with write_running(db, done=3, planned=20, started=time.time() - 30):
        toggle.set_value(True).run()
        assert "Refreshing every 5 s." in captions(app)

        def locked(_db):
            raise WarehouseLockedError("held by PID 1 (a study driver)")

        monkeypatch.setattr(data.queries, "counts", locked)
        (db.parent / "w.duckdb.wal").write_bytes(b"")  # a new stamp: counts are read again
        app.run()
        assert "Refreshing every 10 s." in captions(app)
        app.run()
        assert "Refreshing every 20 s." in captions(app)  # still busy: doubled again
        monkeypatch.undo()
        monkeypatch.setenv("SPARSESCOPE_DB", str(db))
        (db.parent / "w.duckdb.wal").unlink()
        app.run()
        assert "Refreshing every 5 s." in captions(app)  # the writer let go
    app.run()  # the driver is gone
    assert "Nothing runs: no refresh needed." in captions(app)
    assert not app.exception, [e.value for e in app.exception]


SEEN = {"running": ("s",), "busy": False, "stamp": (1, 2)}


@pytest.mark.parametrize(
    ("interval", "now", "expected"),
    [
        (5.0, {"running_now": ("s",), "busy_now": False, "stamp_now": (1, 2)}, False),
        (5.0, {"running_now": ("s",), "busy_now": False, "stamp_now": (1, 3)}, True),  # landed
        (5.0, {"running_now": (), "busy_now": False, "stamp_now": (1, 2)}, True),  # it ended
        (5.0, {"running_now": ("s",), "busy_now": True, "stamp_now": (1, 3)}, True),  # back off
        (60.0, {"running_now": ("s",), "busy_now": True, "stamp_now": (1, 3)}, False),  # longest
    ],
    ids=["nothing-new", "networks-landed", "study-ended", "busy-backs-off", "busy-at-the-limit"],
)
def test_a_check_reruns_the_page_only_for_news_or_to_back_off(interval, now, expected):
    assert should_rerun(interval, **SEEN, **now) is expected
    assert should_rerun(interval, **{**SEEN, "busy": True}, **now) is (
        expected or not now["busy_now"]
    )  # drawn while busy: the writer let go, so read again
