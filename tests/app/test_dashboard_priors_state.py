"""The priors page keeps the chosen study (pages, reloads, new studies), never defaults to a
running one, and honours the sidebar's study filter."""

from __future__ import annotations

import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ingest.study_driver import staging_root
from ingest.study_lock import StudyLock, lock_path
from ingest.study_status import StudyStatus, status_path, write_status
from tests.app.conftest import OLD_PRIORS_STUDY, PRIORS_STUDY, RANDOM_STUDY, priors_records
from warehouse.records import StudyRecord
from warehouse.store import store_records

MAIN = Path(__file__).resolve().parents[2] / "app" / "dashboard" / "main.py"
PAGE = "views/priors.py"
NEW, OLD = PRIORS_STUDY.id, OLD_PRIORS_STUDY.id


def priors_page(monkeypatch, db: Path, **params: str) -> AppTest:
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    app = AppTest.from_file(MAIN, default_timeout=60)
    for name, value in params.items():
        app.query_params[name] = value
    app.run()
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def table1_cells(app: AppTest) -> list[str]:
    return [c for c in app.dataframe[0].value.columns if c != "feature"]


def test_the_chosen_study_survives_a_page_change_and_a_newer_study(
    monkeypatch, tmp_path, priors_db
):
    db = tmp_path / "w.duckdb"
    shutil.copy(priors_db.path, db)
    app = priors_page(monkeypatch, db)
    app.selectbox(key="priors_study").set_value(OLD).run()
    assert app.query_params["priors_study"] == OLD
    app.switch_page("views/overview.py").run()
    newer = StudyRecord(id="priors-newer-9999eeee", kind="priors", config={"preset": "x"})
    store_records(db, newer, priors_records(6))  # a newer priors study lands meanwhile
    app.switch_page(PAGE).run()
    assert app.selectbox(key="priors_study").value == OLD
    assert table1_cells(app) == ["lstm"]  # the old study's only cell type


def test_a_link_names_the_study_and_the_default_skips_a_running_one(
    monkeypatch, tmp_path, priors_db
):
    app = priors_page(monkeypatch, priors_db.path, priors_study=OLD)
    assert app.selectbox(key="priors_study").value == OLD
    db = tmp_path / "w.duckdb"
    shutil.copy(priors_db.path, db)
    root = staging_root(db, None)
    write_status(status_path(root, NEW), StudyStatus(NEW, "priors", "running", planned=80, done=24))
    with StudyLock(lock_path(root, NEW), NEW):  # the newest study is still running
        app = priors_page(monkeypatch, db)
        study = app.selectbox(key="priors_study")
        assert study.value == OLD and "running 24 of 80" in study.options[0]


def test_the_sidebar_study_decides(monkeypatch, priors_db):
    app = priors_page(monkeypatch, priors_db.path)
    app.selectbox(key="study").set_value(OLD).run()
    assert not app.exception and table1_cells(app) == ["lstm"]
    assert any(f"`{OLD}`, chosen in the sidebar" in c.value for c in app.caption)
    app.selectbox(key="study").set_value(RANDOM_STUDY.id).run()
    assert any("is not one of these" in i.value for i in app.info) and not app.dataframe
