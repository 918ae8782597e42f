"""Live studies: progress read from the drivers' status files, on the Overview and in the data
layer while another process runs a study (no browser; the browser test checks the refresh)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.dashboard import data, live
from ingest.study_driver import staging_root
from ingest.study_lock import StudyLock, lock_path
from ingest.study_status import StudyStatus, status_path, write_status
from warehouse.errors import WarehouseLockedError

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "app" / "dashboard" / "main.py"
LIVE = "priors-live-0000aaaa"


def write_running(db: Path, *, done: int, planned: int, started: float, failed: int = 0):
    """A status file for study LIVE, as a driver writes it."""
    root = staging_root(db, None)
    stamp = datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds")
    write_status(status_path(root, LIVE), StudyStatus(
        study_id=LIVE, kind="priors", state="running", planned=planned, done=done,
        failed=failed, started=stamp,
    ))  # fmt: skip
    return StudyLock(lock_path(root, LIVE), LIVE)


def test_progress_and_time_left_follow_the_pace(tmp_path, monkeypatch):
    monkeypatch.setattr(live, "_FIRST_SEEN", {})
    db = tmp_path / "w.duckdb"
    start = 1_800_000_000.0
    with write_running(db, done=20, planned=80, started=start):
        first = live.live_studies(db, now=start + 100)[LIVE]
        # First sight: 20 done in 100 s since the start -> 60 left at 0.2/s.
        assert (first.state, first.progress, first.seconds_left) == ("running", "20 of 80", 300.0)
        write_running(db, done=25, planned=80, started=start, failed=2)  # the lock is held above
        later = live.live_studies(db, now=start + 110)[LIVE]
        # 5 more in the 10 s this process watched -> 53 left at 0.5/s.
        assert later.progress == "25 of 80, 2 failed" and later.seconds_left == pytest.approx(106)
    gone = live.live_studies(db, now=start + 120)[LIVE]
    assert gone.state == "interrupted" and gone.seconds_left is None  # nobody holds the lock


def test_overview_shows_a_running_study_and_refreshes_only_while_it_runs(
    monkeypatch, tmp_path, make_warehouse
):
    db = make_warehouse(tmp_path / "w.duckdb", studies=["random-graphs"], count=12).path
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    with write_running(db, done=27, planned=80, started=time.time() - 270):
        app = AppTest.from_file(MAIN, default_timeout=60).run()
        studies = app.dataframe[0].value.set_index("id")
        running = studies.loc[LIVE]  # listed before its first network lands
        assert (running["status"], running["progress"], running["networks"]) == (
            "running",
            "27 of 80",
            0,
        )
        assert running["time_left"] == "about 9 min"  # 53 left at 0.1 per second: 530 s
        assert any(c.value.startswith(f"Running: `{LIVE}`, 27 of 80 (about 9 min left)")
                   for c in app.sidebar.caption)  # fmt: skip
        stored = studies.loc["random-graphs"]
        assert (stored["status"], stored["progress"]) == ("finished", "12 of 12")
        app.toggle(key="overview_auto_refresh").set_value(True).run()
        assert any(c.value == "Refreshing every 5 s." for c in app.caption)
    app.run()  # the driver is gone
    assert app.dataframe[0].value.set_index("id").loc[LIVE, "status"] == "interrupted"
    assert any(c.value == "Nothing runs: no refresh needed." for c in app.caption)
    assert not app.exception


def test_a_missing_warehouse_names_the_running_study(monkeypatch, tmp_path):
    db = tmp_path / "new.duckdb"
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    with write_running(db, done=0, planned=80, started=time.time()):
        app = AppTest.from_file(MAIN, default_timeout=60).run()
    assert any("No warehouse" in i.value for i in app.info)
    assert any(f"`{LIVE}` is running (0 of 80)" in c.value for c in app.caption)


def test_the_data_layer_follows_a_study_run_by_another_process(monkeypatch, tmp_path):
    """A driver process lands networks while this process polls the dashboard's data layer:
    no error, counts and progress never go down, and the end state is complete.

    The jobs are gated: each starts only when this test opens its gate, after it has seen the
    previous job counted, so every step is watched however slow a loaded machine is (timed
    jobs of 0.3 s once let a CI poller see only 0 and 12)."""
    db = tmp_path / "w.duckdb"
    gates = tmp_path / "gates"
    gates.mkdir()
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    jobs = 12
    driver = subprocess.Popen(
        [sys.executable, "-m", "tests.ingest.fake_study", str(db), str(jobs), "0", "-",
         str(gates)],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    seen_networks, seen_done, states = [], [], set()

    def poll() -> int | None:
        progress = data.live_studies().get("fake-study")
        if progress is not None:
            seen_done.append(progress.done)
            states.add(progress.state)
        state = data.status()
        if not state.missing:
            assert state.error is None, state.error
            seen_networks.append(state.counts["networks"])
        return None if progress is None else progress.done

    try:
        for released in range(1, jobs + 1):
            (gates / f"net-{released - 1:03d}").touch()
            deadline = time.monotonic() + 120
            while (poll() or 0) < released and driver.poll() is None:
                assert time.monotonic() < deadline, f"job {released} was not counted in 120 s"
                time.sleep(0.05)
        while driver.poll() is None:
            poll()
            time.sleep(0.1)
    finally:
        out, err = driver.communicate(timeout=120)
    assert driver.returncode == 0, err
    final = data.status()
    assert (
        final.counts["networks"] == jobs and data.live_studies()["fake-study"].state == "finished"
    )
    assert seen_networks == sorted(seen_networks) and seen_done == sorted(seen_done)
    assert "running" in states and set(range(1, jobs + 1)) <= set(seen_done)  # every step seen


def test_a_busy_warehouse_keeps_the_last_counts_instead_of_an_error(
    monkeypatch, tmp_path, make_warehouse
):
    db = make_warehouse(tmp_path / "w.duckdb", studies=["layered-dags"]).path
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    before = data.status()
    assert before.counts["networks"] == 6 and not before.busy

    def locked(_db):
        raise WarehouseLockedError("held by PID 1 (a study driver)")

    monkeypatch.setattr(data.queries, "counts", locked)
    (db.parent / "w.duckdb.wal").write_bytes(b"")  # a new file stamp: the cache is not asked
    busy = data.status()
    assert (busy.counts, busy.error, busy.busy) == (before.counts, None, True)
    monkeypatch.setattr(data, "_LAST_COUNTS", {})  # nothing read before: the error is shown
    assert "PID 1" in data.status().error
