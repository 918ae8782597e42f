"""``sparsescope study prune-ffn`` bad input: one clear line, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.app.test_cli_exit_codes import _env


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "app.cli", "study", "prune-ffn", *args]
    return subprocess.run(command, cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=300)  # fmt: skip


def test_an_unknown_preset_lists_the_valid_ones_and_writes_nothing(tmp_path):
    db = tmp_path / "w.duckdb"
    result = _run("--preset", "huge", "--db", str(db), cwd=tmp_path)
    assert result.returncode == 1
    assert "Unknown preset 'huge' of the feed-forward pruning study; valid presets: " in (
        result.stderr
    )
    assert "['demo', 'paper']" in result.stderr
    assert not db.exists() and not (tmp_path / "w.duckdb.staging").exists()


def test_a_compression_outside_0_100_percent_is_a_usage_error(tmp_path):
    db = tmp_path / "w.duckdb"
    result = _run("--target-compression", "150", "--db", str(db), cwd=tmp_path)
    assert result.returncode == 2
    assert "--target-compression is a percentage in [0, 100]; got 150.0" in result.stderr
    assert not db.exists()


def test_a_rewind_epoch_beyond_the_base_training_names_the_range_and_writes_nothing(tmp_path):
    db = tmp_path / "w.duckdb"
    result = _run("--rewind-epoch", "9", "--base-epochs", "3", "--db", str(db), cwd=tmp_path)
    assert result.returncode == 1
    assert "'rewind_epoch' parameter of FFNPruningConfig must be an epoch of the base" in (
        " ".join(result.stderr.split())
    )
    assert "base_epochs = 3" in result.stderr and "Got 9" in result.stderr
    assert not db.exists() and not (tmp_path / "w.duckdb.staging").exists()


@pytest.mark.parametrize(
    ("device", "message"),
    [
        ("gpu0", "'device' parameter of FFNPruningConfig must be a torch device"),
        ("meta", "Device 'meta' holds no data"),
        ("cuda", "Device 'cuda' is not available"),
    ],
)
def test_a_device_this_machine_cannot_train_on_is_refused_and_nothing_written(
    tmp_path, device, message
):
    import torch

    if device == "cuda" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA, so 'cuda' is available")
    db = tmp_path / "w.duckdb"
    result = _run("--device", device, "--db", str(db), cwd=tmp_path)
    assert result.returncode == 1
    assert message in " ".join(result.stderr.split()), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not db.exists() and not (tmp_path / "w.duckdb.staging").exists()
