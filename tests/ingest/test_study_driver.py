"""The generic study driver on a fake study (no torch): one driver per study, a busy file never
stops it, workers die with it, status on disk, and kills at random moments lose nothing."""

from __future__ import annotations

import inspect
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from ingest import study_driver
from ingest.study_driver import WRITER_PATIENCE, run_study
from ingest.study_lock import StudyLockedError, lock_path
from ingest.study_status import read_status, status_path
from tests.ingest.fake_study import STUDY, fake_study
from warehouse import queries
from warehouse.connection import open_connection
from warehouse.sql_box import MAX_TIMEOUT, run_sql
from warehouse.staging import QUARANTINE, complete_bundles

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
CHILD_TABLES = ("nodes", "edges", "metrics", "features", "labels")


def _orphans(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            t: con.execute(
                f"SELECT count(*) FROM {t} WHERE network_id NOT IN (SELECT id FROM networks)"
            ).fetchall()[0][0]
            for t in CHILD_TABLES
        }


def _tables(db: Path) -> set[str]:
    """The tables of ``db``; the schema is created in one transaction, so all or none."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert not tables or {"networks", *CHILD_TABLES} <= tables, tables
    return tables


def _names(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT name FROM networks ORDER BY name").fetchall()]


def test_a_study_lands_with_features_and_a_finished_status(tmp_path):
    db = tmp_path / "w.duckdb"
    summary = run_study(fake_study(4), db=db, workers=1, load_every=0.0)
    assert (summary.planned, summary.trained, summary.failed) == (4, 4, {})
    meta = queries.meta_dataset(db, study=STUDY.id)
    assert meta["nodes"].to_list() == meta["num_nodes"].cast(float).to_list()  # on landing
    assert meta["edges"].to_list() == [12.0] * 4
    status = read_status(status_path(tmp_path / "w.duckdb.staging", STUDY.id))
    assert (status.state, status.planned, status.done, status.failed) == ("finished", 4, 4, 0)
    assert status.started <= status.updated
    assert not lock_path(tmp_path / "w.duckdb.staging", STUDY.id).exists()


def test_a_study_resumes_on_a_warehouse_of_an_older_schema(tmp_path):
    from warehouse.migrations import latest_version, migrate

    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as raw:
        migrate(raw, target=2)  # as the code before schema 0003 left it
    assert run_study(fake_study(2), db=db, workers=1).trained == 2
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT max(version) FROM schema_version").fetchall() == [
            (latest_version(),)
        ]


def test_a_second_driver_of_the_same_study_is_refused_naming_the_holder(tmp_path):
    db = tmp_path / "w.duckdb"
    root = tmp_path / "w.duckdb.staging"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from pathlib import Path
            from ingest.study_lock import StudyLock
            with StudyLock(Path({str(lock_path(root, STUDY.id))!r}), "fake-study"):
                print("holding", flush=True)
                sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=ENV,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(StudyLockedError, match=rf"already being run by PID {holder.pid} on "):
            run_study(fake_study(2), db=db, workers=1)
    finally:
        holder.communicate("\n", timeout=30)
    assert not db.exists()  # the refused run wrote nothing
    assert run_study(fake_study(2), db=db, workers=1).trained == 2  # free once it is gone


def test_a_lock_left_by_a_dead_driver_is_taken_over_with_a_warning(tmp_path):
    root = tmp_path / "w.duckdb.staging"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    stale = {"pid": int(dead.stdout), "host": "here", "program": "gone", "started": "then"}
    root.mkdir()
    lock_path(root, STUDY.id).write_text(json.dumps(stale))
    warnings = []
    progress = study_driver.StudyProgress(on_warning=warnings.append)
    summary = run_study(fake_study(2), db=tmp_path / "w.duckdb", workers=1, progress=progress)
    assert summary.trained == 2
    assert any(f"PID {stale['pid']}" in w and "gone" in w for w in warnings)


def test_readers_are_bounded_far_below_the_writers_patience():
    sql_box_default = inspect.signature(run_sql).parameters["timeout"].default
    assert sql_box_default * 10 <= WRITER_PATIENCE
    assert sql_box_default > study_driver.LOAD_ATTEMPT_SECONDS  # tries often, blocks briefly
    assert MAX_TIMEOUT * 5 <= WRITER_PATIENCE  # even the longest query allowed ends in time


def test_a_query_longer_than_the_writer_can_wait_for_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"'timeout' parameter of run_sql must be in \(0, 120\]"):
        run_sql(tmp_path / "w.duckdb", "SELECT 1", timeout=MAX_TIMEOUT + 1)


HOLD_READ = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print("reading", flush=True)
    sys.stdin.readline()
""")


def test_a_busy_file_does_not_stop_training_and_staging(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    open_connection(db, read_only=False).close()
    reader = subprocess.Popen([sys.executable, "-c", HOLD_READ, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert reader.stdout.readline().strip() == "reading"
    monkeypatch.setattr(study_driver, "LOAD_ATTEMPT_SECONDS", 0.2)
    warnings, seen_while_busy = [], []
    status_file = status_path(tmp_path / "w.duckdb.staging", STUDY.id)

    def on_network(outcome, name):
        if len(seen_while_busy) == 5:  # every job done while the reader still holds the file
            reader.stdin.write("\n")
            reader.stdin.flush()
        seen_while_busy.append(read_status(status_file).done)

    progress = study_driver.StudyProgress(on_network=on_network, on_warning=warnings.append)
    summary = run_study(fake_study(6), db=db, workers=1, load_every=0.0, progress=progress)
    reader.wait(timeout=30)
    assert seen_while_busy == [1, 2, 3, 4, 5, 6]
    assert any("locked by another process" in w and "Training goes on" in w for w in warnings)
    assert summary.trained == 6 and len(_names(db)) == 6


def _wait_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _alive(pid)]
        time.sleep(0.1)
    return alive


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _start_driver(db: Path, jobs: int, sleep: float, pid_dir: Path) -> subprocess.Popen:
    pid_dir.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "tests.ingest.fake_study", str(db), str(jobs), str(sleep),
               str(pid_dir)]  # fmt: skip
    return subprocess.Popen(command, env=ENV, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def _workers(pid_dir: Path, timeout: float, driver: subprocess.Popen) -> list[int]:
    """PIDs of the workers running jobs, once the first job started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = [int(p.name) for p in pid_dir.iterdir() if _alive(int(p.name))]
        if pids:
            return pids
        if driver.poll() is not None:
            raise AssertionError(f"the driver ended before any job: {driver.communicate()}")
        time.sleep(0.05)
    raise AssertionError("no worker started a job")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_die_with_their_driver(tmp_path):
    driver = _start_driver(tmp_path / "w.duckdb", 4, 60.0, tmp_path / "pids")
    workers = _workers(tmp_path / "pids", 60, driver)
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    assert _wait_gone(workers, 5.0) == [], "workers outlived their driver"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killing_the_driver_or_its_workers_at_random_moments_loses_and_duplicates_nothing(
    tmp_path,
):
    db, jobs = tmp_path / "w.duckdb", 40
    staging = tmp_path / "w.duckdb.staging" / STUDY.id
    for seed in range(4):  # a bounded, seeded loop: kill moments and job lengths vary
        rng = random.Random(seed)
        pid_dir = tmp_path / f"pids-{seed}"
        # Each run plans 10 more networks than the last, so every run has work to be killed in.
        planned = 10 * (seed + 1)
        driver = _start_driver(db, planned, rng.uniform(0.1, 0.2), pid_dir)
        workers = _workers(pid_dir, 60, driver)
        time.sleep(rng.uniform(0.0, 0.8))
        workers = [int(p.name) for p in pid_dir.iterdir() if _alive(int(p.name))] or workers
        if seed % 2 == 0:  # the driver only
            os.kill(driver.pid, signal.SIGKILL)
            driver.wait()
            assert _wait_gone(workers, 5.0) == []
        else:  # only its workers: the driver carries on and finishes
            for pid in workers:
                os.kill(pid, signal.SIGKILL)
            out, err = driver.communicate(timeout=120)
            assert driver.returncode == 0, err
        if db.exists() and _tables(db):  # a kill during the first migration leaves no table
            names = _names(db)
            assert len(names) == len(set(names)) and _orphans(db) == dict.fromkeys(CHILD_TABLES, 0)
    summary = run_study(fake_study(jobs), db=db, workers=1)
    names = _names(db)
    assert names == [f"net-{i:03d}" for i in range(jobs)], summary
    assert _orphans(db) == dict.fromkeys(CHILD_TABLES, 0)
    assert complete_bundles(staging) == [] and not list(staging.glob(".tmp-*"))
    quarantine = staging / QUARANTINE  # on failure, say what was moved there
    assert not quarantine.exists(), [p.name for p in quarantine.iterdir()]
    meta = queries.meta_dataset(db)
    assert meta["nodes"].null_count() == 0  # every network has its features


READ_LOOP = textwrap.dedent("""
    import os, sys, time
    from warehouse.sql_box import run_sql

    db, stop = sys.argv[1], sys.argv[2]
    queries = errors = 0
    while not os.path.exists(stop):
        try:
            run_sql(db, "SELECT count(*) FROM range(20000000) t(i) WHERE i % 7 = 3")
            run_sql(db, "SELECT count(*) FROM networks")
            queries += 2
        except Exception as exc:
            errors += 1
            print("error:", exc, flush=True)
        time.sleep(0.05)
    print("queries", queries, "errors", errors, flush=True)
""")


@pytest.mark.slow
def test_a_study_finishes_while_a_reader_runs_long_queries_in_a_loop(tmp_path):
    db = tmp_path / "w.duckdb"
    open_connection(db, read_only=False).close()
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READ_LOOP, str(db), str(stop)], env=ENV,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        driver = _start_driver(db, 8, 0.1, tmp_path / "pids")
        out, err = driver.communicate(timeout=240)
    finally:
        stop.touch()
        reader_out, reader_err = reader.communicate(timeout=120)
    assert driver.returncode == 0, err
    assert "trained 8" in out
    assert "error" not in reader_out.replace("errors 0", ""), reader_out
    assert reader.returncode == 0, reader_err
    assert int(reader_out.split()[1]) > 2  # the reader really ran while the study wrote
    assert len(_names(db)) == 8
