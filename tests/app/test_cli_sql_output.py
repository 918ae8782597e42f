"""`sparsescope sql` in an 80-column terminal: wide results become records, narrow ones a table."""

from __future__ import annotations

import re

import polars as pl
import pytest
from rich.console import Console

from app import cli
from app.cli_sql_output import SqlFormat, print_result, records_text
from tests.app.test_cli import run


@pytest.fixture
def narrow_console(monkeypatch):
    """The CLI's consoles, 80 columns wide as a small terminal is."""
    monkeypatch.setattr(cli, "console", Console(width=80))
    monkeypatch.setattr(cli, "error_console", Console(width=80, stderr=True))


def test_a_wide_result_prints_as_records_with_every_value(
    monkeypatch, capsys, narrow_console, dashboard_db
):
    code, out, err = run(
        monkeypatch, capsys, "sql", "SELECT * FROM meta_dataset ORDER BY name LIMIT 2",
        "--db", dashboard_db.path,
    )  # fmt: skip
    assert code == 0, err
    assert "do not fit in 80 characters" in err
    assert max(len(line) for line in out.splitlines()) <= 80
    code, csv_out, _ = run(
        monkeypatch, capsys, "sql", "SELECT * FROM meta_dataset ORDER BY name LIMIT 2",
        "--format", "csv", "--db", dashboard_db.path,
    )  # fmt: skip
    header = csv_out.splitlines()[0].split(",")
    assert out.count("-[ row ") == 2
    labels = [m.group(1) for m in re.finditer(r"^(\S+)\s+\|", out, flags=re.MULTILINE)]
    assert labels == header * 2  # every column of both rows, in order
    names = pl.read_csv(csv_out.encode())["name"].to_list()
    assert [re.search(r"^name\s+\| (\S+)$", block, re.MULTILINE).group(1)
            for block in out.split("-[ row ")[1:]] == names  # fmt: skip


def test_a_narrow_result_stays_a_table(monkeypatch, capsys, narrow_console, dashboard_db):
    code, out, err = run(
        monkeypatch, capsys, "sql", "SELECT name, num_nodes FROM networks ORDER BY name LIMIT 3",
        "--db", dashboard_db.path,
    )  # fmt: skip
    assert code == 0 and err == ""
    assert "┃ name" in out and "-[ row" not in out
    assert re.search(r"│ ba-01 │\s+11 │", out)


def test_records_fold_long_values_and_keep_the_width():
    frame = pl.DataFrame({"config": ['{"preset": "demo", ' * 6], "n": [3]})
    text = records_text(frame, width=40)
    lines = text.splitlines()
    assert all(len(line) <= 40 for line in lines)
    folded = "".join(line.split("| ", 1)[1] for line in lines[1:-1])
    assert folded.replace(" ", "") == frame["config"][0].replace(" ", "")
    assert lines[-1] == "n      | 3"


def test_records_format_is_chosen_explicitly(capsys):
    frame = pl.DataFrame({"a": [1, 2]})
    print_result(frame, SqlFormat.records, console=Console(width=80), notes=Console(stderr=True))
    out, err = capsys.readouterr()
    assert out.splitlines()[1:3] == ["a | 1", "-[ row 2 ]" + "-" * 70] and err == ""
