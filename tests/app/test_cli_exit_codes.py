"""Exit codes of the real command, run as ``python -m app.cli`` in a subprocess.

CliRunner calls the Typer app directly and cannot see what ``main()`` does with the code Typer
returns, nor how a real SIGINT reaches a running query; these tests run the command as a user
does.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from warehouse.records import NetworkRecord, StudyRecord
from warehouse.store import store_records

REPO = Path(__file__).resolve().parents[2]
# Each run takes seconds; the limit only turns a hang into a failure, and is generous
# because the whole suite on two busy cores once made fresh interpreters take minutes.
TIMEOUT = 600
SLOW_QUERY = "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b"


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO), SPARSESCOPE_DB="", NO_COLOR="1")


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        _command(*args), cwd=cwd, env=_env(), capture_output=True, text=True, timeout=TIMEOUT
    )


def _error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_an_error_exits_1_with_one_line(tmp_path):
    result = _run("sql", "SELECT 1", "--db", str(tmp_path / "missing.duckdb"), cwd=tmp_path)
    assert result.returncode == 1
    assert _error_lines(result) == [
        f"error: No warehouse at {tmp_path / 'missing.duckdb'}: create one with "
        f"`sparsescope init --db {tmp_path / 'missing.duckdb'}` or import data first."
    ]


def test_a_reber_error_exits_1(tmp_path):
    result = _run("reber", "generate", "--n", "3", "--out", "x.csv", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert len(_error_lines(result)) == 1
    assert "'n' parameter" in result.stderr
    assert not (tmp_path / "x.csv").exists()


def _wait_until_open(process: subprocess.Popen, path: Path, *, timeout: float = 60.0) -> None:
    """Block until ``process`` holds ``path`` open (the query has started)."""
    deadline = time.monotonic() + timeout
    fd_dir = Path(f"/proc/{process.pid}/fd")
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            if any(os.path.realpath(fd) == str(path) for fd in fd_dir.iterdir()):
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{path} was never opened")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux /proc")
def test_ctrl_c_on_a_running_sql_query_exits_130_and_is_not_a_timeout(tmp_path):
    db = (tmp_path / "w.duckdb").resolve()
    store_records(db, StudyRecord(id="s", kind="test"), [NetworkRecord(name="n")])
    process = subprocess.Popen(
        _command("sql", "--db", str(db), "--timeout", "60", SLOW_QUERY),
        cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _wait_until_open(process, db)
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "Interrupted" in stderr
    assert "longer than" not in stderr


def test_the_dashboard_on_a_busy_port_exits_nonzero(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _run(
            "dashboard", "--headless", "--port", str(port), "--db", str(tmp_path / "w.duckdb"),
            cwd=tmp_path,
        )  # fmt: skip
    assert result.returncode != 0
    assert f"Port {port} is not available" in result.stderr
