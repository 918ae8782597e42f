"""Tests for app.cli_reber: the `reber generate` and `reber check` commands."""

from __future__ import annotations

import re

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from app.cli_reber import reber_app
from ingest.reber import is_reber
from ingest.reber_csv import load_reber_csv


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


def test_generate_writes_balanced_labelled_distinct_file(app, runner, tmp_path):
    out = tmp_path / "data" / "reber.csv"
    args = ["reber", "generate", "--n", "4000", "--seed", "3", "--min-length", "11"]
    result = runner.invoke(app, [*args, "--max-length", "53", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote 4,000 distinct sequences (2,000 true, 2,000 false)" in result.stdout
    frame = load_reber_csv(out)
    assert frame.height == 4000 and frame["valid"].sum() == 2000
    assert frame["string"].n_unique() == 4000
    lengths = frame["string"].str.len_chars()
    assert lengths.min() >= 11 and lengths.max() <= 53
    assert [is_reber(s) for s in frame["string"]] == frame["valid"].to_list()
    checked = runner.invoke(app, ["reber", "check", str(out)])
    assert checked.stdout.startswith("4,000/4,000 labels agree with the Reber acceptor")


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


def test_check_accepts_any_printable_capitals_like_the_papers_files(app, runner, tmp_path):
    rows = [("BPTVPXTTVVE", "1"), ("BCILHJJJJILGE", "0"), ("BTTVPXTVPSE", "0"),
            ("B-Q Z!E", "0"), ("BPVPSE", "1"), ("BCILHE", "1")]  # fmt: skip
    path = _write(tmp_path / "paper.csv", rows)
    result = runner.invoke(app, ["reber", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("5/6 labels agree") and "83.33%" in result.stdout
    assert re.search(r"│\s+6 │ BCILHE\s+│ true\s+│ false", result.stdout)


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
        (["generate", "--n", "200", "--max-length", "11"], "holds only 67 of length 5 to 11"),
        (["generate", "--n", "8", "--min-length", "0"], "'min_length' parameter"),
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
        ("string,valid\nBTXSE,true\nbtxse,true\n", "lowercase letters"),
        ("string,valid\nBTXSE,true\n,false\n", "row 2 has an empty value"),
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


# --- `sparsescope study priors --reber-csv / --device` (app.cli) ---------------------------


def _sparsescope(monkeypatch, capsys, *args):
    """Run the real entry point (errors become one line and exit code 1)."""
    import sys

    from app.cli import main

    monkeypatch.setattr(sys, "argv", ["sparsescope", *map(str, args)])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err


TINY_STUDY = ("study", "priors", "--cells", "gru", "--generators", "ba", "--graphs", "2",
              "--epochs", "1", "--workers", "1")  # fmt: skip


def test_study_priors_trains_on_a_users_csv(monkeypatch, capsys, tmp_path):
    import json

    from warehouse import queries

    rows = [("BPTVPXTTVVE", 1), ("BCILHJJJJILGE", 0), ("BTSSXXTVVE", 1), ("BTTVPXTVPSE", 0),
            ("BPVPSE", 1), ("BQZWKLE", 0), ("BTXXVPSE", 1), ("BCILHE", 0)]  # fmt: skip
    path = _write(tmp_path / "mine.csv", rows)
    db = tmp_path / "w.duckdb"
    code, out, err = _sparsescope(monkeypatch, capsys, *TINY_STUDY, "--reber-csv", path,
                                  "--db", db)  # fmt: skip
    assert code == 0, err
    assert "2 trained" in " ".join(out.split())
    meta = queries.meta_dataset(db)
    assert meta.height == 2
    assert all(round(acc * 2, 9).is_integer() for acc in meta["test_acc"])  # 1 + 1 test rows
    config = json.loads(queries.studies(db)["config"][0])
    assert config["reber_csv"] == str(path.resolve()) and len(config["reber_csv_digest"]) == 64
    assert config["device"] == "cpu" and config["data_version"] == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--device", "cuda"], "Device 'cuda' is not available"),
        (["--reber-csv", "LOWER"], "row 2 has 'btxse' (1 string(s) with lowercase"),
        (["--sequences", "200", "--max-length", "11"], "holds only 67 of length 5 to 11"),
    ],
)
def test_study_priors_errors_are_one_line_and_write_nothing(
    monkeypatch, capsys, tmp_path, extra, message
):
    import torch

    if extra[:2] == ["--device", "cuda"] and torch.cuda.is_available():
        pytest.skip("this machine has CUDA, so 'cuda' is available")
    lower = _write(tmp_path / "lower.csv", [("BTXSE", 1), ("btxse", 0)])
    extra = [str(lower) if arg == "LOWER" else arg for arg in extra]
    db = tmp_path / "w.duckdb"
    code, out, err = _sparsescope(monkeypatch, capsys, *TINY_STUDY, *extra, "--db", db)
    assert code == 1
    assert message in " ".join(err.split()) and len(err.strip().splitlines()) == 1, err
    assert not db.exists()
