"""``sparsescope study prune-rnn``: bad input is one clear line naming the value, and nothing
stored is touched."""

from __future__ import annotations

import sys

import pytest

from app.cli import main
from tests.app.rnn_pruning_db import build_rnn_pruning_db
from warehouse import queries


def run(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["sparsescope", *map(str, args)])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    db = build_rnn_pruning_db(tmp_path_factory.mktemp("cli") / "w.duckdb")
    return db, queries.counts(db)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--preset", "huge"], "Unknown preset 'huge' .* valid presets: \\['demo', 'paper'\\]"),
        (["--targets", "i2h,gates"], "'gates'; valid targets: \\['i2h', 'h2h', 'both'\\]"),
        (["--cells", "elman"], "'elman'; valid cells: \\["),
        (["--percents", "50,110"], "'percents' parameter .* \\[0, 100\\]"),
        (["--percents", "50,ten"], "--percents option must be comma-separated numbers"),
        (["--repeats", "0"], "'repeats' parameter .* positive integer. Got 0"),
        (["--device", "gpu0"], "'device' parameter of RNNPruningConfig must be a torch device"),
        (["--device", "meta"], "Device 'meta' holds no data"),
        (["--device", "cuda"], "Device 'cuda' is not available"),
    ],
)
def test_bad_options_fail_with_one_line_and_the_warehouse_intact(
    monkeypatch, capsys, stored, options, message
):
    import torch

    if options == ["--device", "cuda"] and torch.cuda.is_available():
        pytest.skip("this machine has CUDA, so 'cuda' is available")
    db, counts = stored
    code, _, err = run(monkeypatch, capsys, "study", "prune-rnn", "--db", db, *options)
    assert code == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert __import__("re").search(message, " ".join(err.split()))
    assert queries.counts(db) == counts
    assert not (db.parent / f"{db.name}.staging").exists()  # nothing planned, nothing staged


def test_a_reber_csv_without_a_column_is_named(monkeypatch, capsys, stored, tmp_path):
    db, counts = stored
    csv = tmp_path / "seqs.csv"
    csv.write_text("string\nBTSSXXTVVE\n")
    code, _, err = run(monkeypatch, capsys, "study", "prune-rnn", "--db", db, "--reber-csv", csv)
    assert code == 1 and "valid" in err and str(csv) in " ".join(err.split())
    assert queries.counts(db) == counts
