"""The console script skips the teardown for read-only commands only, and only on success."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from app import process_exit
from app.cli import main

REPO = Path(__file__).resolve().parents[2]


class _Exited(Exception):
    """Raised by the stand-in for ``os._exit``."""


@pytest.fixture
def exits(monkeypatch):
    """Codes passed to ``os._exit`` (which here raises instead of ending pytest)."""
    seen = []

    def fake_exit(code):
        seen.append(code)
        raise _Exited

    monkeypatch.setattr(os, "_exit", fake_exit)
    process_exit.keep_teardown()
    yield seen
    process_exit.keep_teardown()


class _Stream:
    def __init__(self):
        self.flushes = 0

    def write(self, text):
        return len(text)

    def flush(self):
        self.flushes += 1


def test_a_requested_skip_flushes_both_streams_and_exits_zero(exits, monkeypatch):
    out, err = _Stream(), _Stream()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    process_exit.skip_teardown()
    with pytest.raises(_Exited):
        process_exit.end_process(0)
    assert exits == [0] and out.flushes == 1 and err.flushes == 1


@pytest.mark.parametrize("code", [1, 2, 130, "error: message"])
def test_a_failure_exits_normally_even_when_the_skip_was_asked(exits, code):
    process_exit.skip_teardown()
    with pytest.raises(SystemExit) as raised:
        process_exit.end_process(code)
    assert raised.value.code == code and exits == []


@pytest.mark.parametrize("code", [0, None])
def test_without_a_request_success_exits_normally(exits, code):
    with pytest.raises(SystemExit) as raised:
        process_exit.end_process(code)
    assert raised.value.code == code and exits == []


def _warehouse(tmp_path, monkeypatch, capsys) -> Path:
    rng = np.random.default_rng(0)
    nodes = rng.integers(10, 50, size=30)
    frame = pl.DataFrame(
        {"graph": [f"g{i:02d}" for i in range(30)], "nodes": nodes,
         "test_acc": nodes / 100 + rng.normal(scale=0.01, size=30)}
    )  # fmt: skip
    csv, db = tmp_path / "m.csv", tmp_path / "w.duckdb"
    frame.write_csv(csv)
    monkeypatch.setattr(sys, "argv", ["sparsescope", "import-metadataset", str(csv),
                                      "--target", "test_acc", "--name-cols", "graph",
                                      "--db", str(db)])  # fmt: skip
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 0, capsys.readouterr()
    return db


def test_regress_asks_for_the_skip_and_main_itself_still_returns(
    exits, tmp_path, monkeypatch, capsys
):
    db = _warehouse(tmp_path, monkeypatch, capsys)
    capsys.readouterr()
    argv = ["sparsescope", "regress", "--target", "test_acc", "--regressor", "bayesian_ridge",
            "--repeats", "1", "--jobs", "1", "--format", "csv", "--db", str(db)]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as done:
        main()  # what tests and embedding code call: never ends the process
    assert done.value.code == 0 and exits == []
    assert process_exit.teardown_skipped()
    assert pl.read_csv(capsys.readouterr().out.encode())["regressor"].to_list() == [
        "bayesian_ridge"
    ]


def test_a_command_that_writes_does_not_ask_for_the_skip(exits, tmp_path, monkeypatch, capsys):
    _warehouse(tmp_path, monkeypatch, capsys)  # import-metadataset writes the warehouse
    assert not process_exit.teardown_skipped()


def test_the_console_script_prints_all_output_through_a_pipe_and_keeps_exit_codes(
    tmp_path, monkeypatch, capsys
):
    db = _warehouse(tmp_path, monkeypatch, capsys)
    command = [sys.executable, "-m", "app.cli", "regress", "--target", "test_acc",
               "--regressor", "bayesian_ridge", "--repeats", "1", "--format", "csv",
               "--db", str(db)]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env)
    assert done.returncode == 0, done.stderr
    assert "leaked" not in done.stderr  # the fit workers' resources were released
    scores = pl.read_csv(done.stdout.encode())  # every line arrived: the pipe was flushed
    assert scores["regressor"].to_list() == ["bayesian_ridge"] and scores["n"][0] == 30
    failed = subprocess.run([*command[:5], "nope", *command[6:]], capture_output=True,
                            text=True, cwd=REPO, env=env)  # fmt: skip
    assert failed.returncode == 1 and "nope" in failed.stderr
