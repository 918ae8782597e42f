"""Listing studies with their status, and deleting one with everything of its networks."""

from __future__ import annotations

import io
import json
import sys

import duckdb
import pytest

from ingest.studies import delete_study, list_studies
from ingest.study_driver import run_study
from ingest.study_lock import StudyLock, StudyLockedError, lock_path
from ingest.study_status import StudyStatus, status_path, write_status
from tests.ingest.fake_study import STUDY, fake_study
from tests.warehouse.conftest import make_records
from warehouse.records import StudyRecord
from warehouse.staging import stage_records
from warehouse.store import store_records

TABLES = ("studies", "networks", "nodes", "edges", "metrics", "features", "labels")


def _counts(db, study_id: str) -> dict[str, int]:
    ids = "(SELECT id FROM networks WHERE study_id = ?)"
    with duckdb.connect(str(db), read_only=True) as con:
        counts = {
            t: con.execute(
                f"SELECT count(*) FROM {t} WHERE network_id IN {ids}", [study_id]
            ).fetchall()[0][0]
            for t in TABLES[2:]
        }
        counts["networks"] = con.execute(
            "SELECT count(*) FROM networks WHERE study_id = ?", [study_id]
        ).fetchall()[0][0]
        counts["studies"] = con.execute(
            "SELECT count(*) FROM studies WHERE id = ?", [study_id]
        ).fetchall()[0][0]
    return counts


@pytest.fixture
def warehouse(tmp_path):
    """A finished fake study, an import, and the status files of a running and a killed one."""
    db = tmp_path / "w.duckdb"
    run_study(fake_study(3), db=db, workers=1)
    store_records(db, StudyRecord(id="imported", kind="import"), make_records(2))
    root = tmp_path / "w.duckdb.staging"
    for study_id, done in (("running-study", 2), ("killed-study", 1)):
        write_status(status_path(root, study_id), StudyStatus(
            study_id=study_id, kind="priors", state="running", planned=5, done=done,
            started="2026-01-01T00:00:00+00:00",
        ))  # fmt: skip
    return db, root


def test_studies_are_listed_with_kind_status_and_progress(warehouse):
    db, root = warehouse
    with StudyLock(lock_path(root, "running-study"), "running-study"):
        rows = {row["id"]: row for row in list_studies(db).iter_rows(named=True)}
    assert set(rows) == {STUDY.id, "imported", "running-study", "killed-study"}
    shown = {k: (r["kind"], r["status"], r["done"], r["planned"]) for k, r in rows.items()}
    assert shown == {
        STUDY.id: ("fake", "finished", 3, 3),
        "imported": ("import", "finished", 2, 2),
        "running-study": ("priors", "running", 2, 5),
        "killed-study": ("priors", "interrupted", 1, 5),  # says running, but no lock is held
    }
    assert rows["running-study"]["started"] == "2026-01-01T00:00:00+00:00"
    assert rows[STUDY.id]["started"] and rows["imported"]["started"]


def test_delete_removes_the_study_and_every_row_of_its_networks_only(warehouse):
    db, root = warehouse
    stage_records(root / STUDY.id, STUDY, [])  # something still staged for it
    before = _counts(db, STUDY.id)
    assert before["networks"] == 3 and before["features"] > 0 and before["edges"] > 0
    other = _counts(db, "imported")
    deleted = delete_study(db, STUDY.id)
    assert {t: deleted[t] for t in before} == before
    assert _counts(db, STUDY.id) == dict.fromkeys(TABLES, 0)
    assert _counts(db, "imported") == other
    assert not (root / STUDY.id).exists() and not status_path(root, STUDY.id).exists()
    with duckdb.connect(str(db), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT DISTINCT study_id FROM meta_dataset").fetchall()]
    assert names == ["imported"]


def test_a_running_study_cannot_be_deleted(warehouse):
    db, root = warehouse
    write_status(status_path(root, STUDY.id), StudyStatus(STUDY.id, "fake", "running", 3))
    before = _counts(db, STUDY.id)
    with (
        StudyLock(lock_path(root, STUDY.id), STUDY.id),
        pytest.raises(StudyLockedError, match="is running.*stop it"),
    ):
        delete_study(db, STUDY.id)
    assert _counts(db, STUDY.id) == before


def test_the_studies_command_lists_and_deletes_with_confirmation(warehouse, monkeypatch, capsys):
    from tests.app.test_cli import run

    db, _ = warehouse
    code, out, _ = run(monkeypatch, capsys, "studies", "--format", "json", "--db", db)
    assert code == 0
    listed = {row["id"]: row["status"] for row in json.loads(out)}
    assert listed[STUDY.id] == "finished" and listed["killed-study"] == "interrupted"
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    _, _, err = run(monkeypatch, capsys, "studies", "delete", STUDY.id, "--db", db)
    assert "Nothing deleted" in err  # (its exit code 1 is main()'s to pass on: issue 8 item 6)
    assert _counts(db, STUDY.id)["networks"] == 3
    code, out, _ = run(monkeypatch, capsys, "studies", "delete", STUDY.id, "--yes", "--db", db)
    assert code == 0 and "3 network(s)" in out
    assert _counts(db, STUDY.id)["networks"] == 0
    code, _, err = run(monkeypatch, capsys, "studies", "delete", "no-such", "--yes", "--db", db)
    assert code == 1 and "No study 'no-such'" in err
