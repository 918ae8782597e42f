"""Tests for app.cli_reber: the `reber generate` and `reber check` commands."""

from __future__ import annotations

import re

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from app.cli_reber import reber_app
from ingest.reber import is_reber, load_reber_csv


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(reber_app, name="reber")

    @root.callback()
    def _main() -> None:
        """Test root, standing in for app.cli."""

    return root


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _write(path, rows):
    path.write_text("string,valid\n" + "".join(f"{s},{v}\n" for s, v in rows))
    return path


def test_generate_writes_balanced_labelled_file(app, runner, tmp_path):
    out = tmp_path / "data" / "reber.csv"
    result = runner.invoke(
        app, ["reber", "generate", "--n", "40", "--seed", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 40 sequences (20 true, 20 false)" in result.stdout
    frame = load_reber_csv(out)
    assert frame.height == 40 and frame["valid"].sum() == 20
    assert [is_reber(s) for s in frame["string"]] == frame["valid"].to_list()


def test_generate_is_reproducible_and_honours_negatives(app, runner, tmp_path):
    paths = [tmp_path / f"{i}.csv" for i in range(3)]
    for path, kind in zip(paths, ["near-miss", "near-miss", "random"], strict=True):
        args = ["reber", "generate", "--n", "30", "--negatives", kind, "--out", str(path)]
        assert runner.invoke(app, args).exit_code == 0
    assert paths[0].read_text() == paths[1].read_text()
    assert paths[0].read_text() != paths[2].read_text()


def test_check_reports_agreement_and_lists_disagreements(app, runner, tmp_path):
    rows = [("BTXSE", "true"), ("BPVVE", "false"), ("BTTXSE", "true"), ("BPVPSE", "true")]
    path = _write(tmp_path / "labels.csv", rows)
    result = runner.invoke(app, ["reber", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2/4 ") and "50.00%" in result.stdout
    table_rows = [line for line in result.stdout.splitlines() if re.search(r"│\s+\d+ │", line)]
    assert len(table_rows) == 2
    assert "BPVVE" in table_rows[0] and "BTTXSE" in table_rows[1]


def test_check_lists_at_most_ten_disagreements(app, runner, tmp_path):
    rows = [("BTXSE", "false")] * 15 + [("BPVVE", "true")] * 5
    path = _write(tmp_path / "wrong.csv", rows)
    result = runner.invoke(app, ["reber", "check", str(path)])
    assert result.exit_code == 0
    assert result.stdout.startswith("5/20 ") and "(25.00%)" in result.stdout
    assert "First 10 of 15" in result.stdout
    assert len(re.findall(r"│\s+\d+ │ BTXSE", result.stdout)) == 10


def test_check_all_agree_has_no_table(app, runner, tmp_path):
    path = tmp_path / "good.csv"
    runner.invoke(app, ["reber", "generate", "--n", "20", "--out", str(path)])
    result = runner.invoke(app, ["reber", "check", str(path)])
    assert result.exit_code == 0
    assert "20/20" in result.stdout and "100.00%" in result.stdout
    assert "disagreement" not in result.stdout


def test_check_empty_file(app, runner, tmp_path):
    path = _write(tmp_path / "empty.csv", [])
    result = runner.invoke(app, ["reber", "check", str(path)])
    assert result.exit_code == 0 and "no rows" in " ".join(result.stdout.split())  # rich wraps


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", "--n", "7"], "'n' parameter of make_reber_frame"),
        (["generate", "--n", "0"], "Got 0"),
        (["generate", "--n", "8", "--negatives", "easy"], "'negatives' parameter"),
    ],
)
def test_generate_errors_are_one_line(app, runner, tmp_path, args, message):
    result = runner.invoke(app, ["reber", *args, "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("seq,valid\nBTXSE,true\n", "missing column(s) ['string']"),
        ("string,valid\nBTXSE,perhaps\n", "row 1 has 'perhaps'"),
    ],
)
def test_check_errors_are_one_line(app, runner, tmp_path, content, message):
    path = tmp_path / "in.csv"
    if content is not None:
        path.write_text(content)
    result = runner.invoke(app, ["reber", "check", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert "in.csv" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_debug_shows_the_exception(app, runner, tmp_path):
    result = runner.invoke(app, ["reber", "--debug", "check", str(tmp_path / "none.csv")])
    assert result.exit_code != 0
    assert isinstance(result.exception, FileNotFoundError)


def test_written_file_is_plain_csv(app, runner, tmp_path):
    path = tmp_path / "plain.csv"
    runner.invoke(app, ["reber", "generate", "--n", "4", "--out", str(path)])
    frame = pl.read_csv(path)
    assert frame.columns == ["string", "valid"] and frame.schema["valid"] == pl.Boolean
