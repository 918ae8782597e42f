"""Tests for ingest.reber_csv: reading, writing, checking, splitting and fingerprinting files."""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl
import pytest

from ingest.reber import is_reber
from ingest.reber_csv import (
    check_reber_labels,
    load_reber_csv,
    reber_rows_digest,
    save_reber_csv,
    split_reber_frame,
)
from ingest.reber_dataset import make_reber_frame

# Rows in the style of the paper's published files: true strings, near misses, and negatives
# of capitals outside the Reber alphabet.
PAPER_STYLE = [
    ("BPTVPXTTVVE", True), ("BCILHJJJJILGE", False), ("BTSSXXTVVE", True),
    ("BTTVPXTVPSE", False), ("BQZWKE", False), ("BPVPSE", True),
]  # fmt: skip


def _write(path, header, rows):
    path.write_text(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


def test_check_reber_labels_counts_disagreements():
    frame = pl.DataFrame(
        {"string": ["BTXSE", "BPVVE", "BTTXSE", "BTSXSE"], "valid": [True, False, True, True]}
    )
    result = check_reber_labels(frame)
    assert (result.total, result.agreed) == (4, 2)
    assert result.fraction == 0.5
    assert result.disagreements.select("row", "string", "valid", "accepted").rows() == [
        (2, "BPVVE", False, True),
        (3, "BTTXSE", True, False),
    ]


def test_paper_style_strings_load_and_agree(tmp_path):
    path = _write(tmp_path / "paper.csv", "string,valid", [(s, int(v)) for s, v in PAPER_STYLE])
    frame = load_reber_csv(path)
    assert frame.rows() == PAPER_STYLE
    result = check_reber_labels(frame)
    assert (result.agreed, result.total) == (6, 6)
    assert [is_reber(s) for s, _ in PAPER_STYLE] == [v for _, v in PAPER_STYLE]


def test_csv_round_trip(tmp_path):
    frame = make_reber_frame(50, seed=9)
    path = save_reber_csv(frame, tmp_path / "sub" / "reber.csv")
    assert path.read_text().splitlines()[0] == "string,valid"
    assert load_reber_csv(path).equals(frame)


def test_split_column_round_trips(tmp_path):
    frame = pl.DataFrame(
        {"string": ["BTXSE", "BQE"], "valid": [True, False], "split": ["train", "test"]}
    )
    path = save_reber_csv(frame, tmp_path / "s.csv")
    assert path.read_text().splitlines() == ["string,valid,split", "BTXSE,true,train",
                                             "BQE,false,test"]  # fmt: skip
    assert load_reber_csv(path).equals(frame)


def test_save_accepts_pairs(tmp_path):
    path = save_reber_csv([("BTXSE", True), ("BTTSE", np.bool_(False))], tmp_path / "p.csv")
    assert path.read_text().splitlines() == ["string,valid", "BTXSE,true", "BTTSE,false"]


def test_save_rejects_non_boolean_labels(tmp_path):
    with pytest.raises(ValueError, match="must be booleans"):
        save_reber_csv([("BTXSE", "yes")], tmp_path / "p.csv")
    with pytest.raises(ValueError, match="'valid' column given to save_reber_csv"):
        save_reber_csv(pl.DataFrame({"string": ["BTXSE"], "valid": [1]}), tmp_path / "p.csv")


def test_load_reads_numeric_and_spaced_labels_and_drops_extra_columns(tmp_path):
    path = tmp_path / "user.csv"
    path.write_text("id,string,valid,split\n1,BTXSE, TRUE,Train \n2,BTTSE,0,test\n3,BPVVE,1,TEST\n")
    frame = load_reber_csv(path)
    assert frame.rows() == [("BTXSE", True, "train"), ("BTTSE", False, "test"),
                            ("BPVVE", True, "test")]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("string,label\nBTXSE,true\n", r"missing column\(s\) \['valid'\]"),
        ("seq,valid\nBTXSE,true\n", r"missing column\(s\) \['string'\]"),
        ("valid\ntrue\n", r"missing column\(s\) \['string'\]"),
        ("string,valid\nBTXSE,true\nBPVVE,maybe\n", r"'valid'.*row 2 has 'maybe'"),
        ("string,valid\nBTXSE,2\n", r"'valid' must hold true/false or 1/0; row 1 has '2'"),
        ("string,valid\nBTXSE,\n", r"'valid'.*row 1 has an empty value"),
        ("string,valid\nBTXSE,true\n,true\n", r"non-empty strings; row 2 has an empty value"),
        ("string,valid\nBTXSE,1\nBPvVE,0\nbtxse,1\n",
         r"must not hold lowercase letters.*row 2 has 'BPvVE' \(2 string\(s\) with lowercase"),
        ("string,valid\nBTXSE,true\nBT€SE,false\n", r"printable ASCII.*row 2 has 'BT€SE'"),
        ("string,valid,split\nBTXSE,1,train\nBPVVE,1,valid\n", r"'split'.*row 2 has 'valid'"),
        ("", r"is empty"),
    ],
)  # fmt: skip
def test_load_errors_name_the_file_the_column_and_the_row(tmp_path, content, match):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=match) as info:
        load_reber_csv(path)
    assert "bad.csv" in str(info.value)


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        load_reber_csv(tmp_path / "nope.csv")


def test_load_header_only_gives_empty_frame(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("string,valid\n")
    frame = load_reber_csv(path)
    assert frame.height == 0 and frame.columns == ["string", "valid"]


# --- splitting ------------------------------------------------------------------------------


def test_split_column_decides_the_split():
    frame = pl.DataFrame(
        {"string": ["A", "B", "C", "D"], "valid": [True, False, True, False],
         "split": ["test", "train", "train", "test"]}
    )  # fmt: skip
    train, test = split_reber_frame(frame, seed=0)
    assert train.rows() == [("B", False), ("C", True)]
    assert test.rows() == [("A", True), ("D", False)]


def test_seeded_split_is_stratified_reproducible_and_keeps_duplicates_together():
    strings = [f"B{i}E" for i in range(40)]
    valid = [i % 4 == 0 for i in range(40)]  # 10 true, 30 false
    frame = pl.DataFrame({"string": strings + strings[:6], "valid": valid + valid[:6]})
    train, test = split_reber_frame(frame, seed=3)
    again = split_reber_frame(frame, seed=3)
    assert train.equals(again[0]) and test.equals(again[1])
    assert not split_reber_frame(frame, seed=4)[1].equals(test)
    assert not set(train["string"]) & set(test["string"])  # repeats go wholly to one side
    assert train.height + test.height == frame.height
    distinct_test = test.unique("string")
    # 10 * 0.25 = 2.5 -> 3 true and 30 * 0.25 = 7.5 -> 8 false distinct strings (half up)
    assert (distinct_test["valid"].sum(), (~distinct_test["valid"]).sum()) == (3, 8)


def test_split_errors():
    one_sided = pl.DataFrame({"string": ["A", "B"], "valid": [True, False],
                              "split": ["train", "train"]})  # fmt: skip
    with pytest.raises(ValueError, match="its 'split' column of 2 row.*0 for testing"):
        split_reber_frame(one_sided, seed=0)
    with pytest.raises(ValueError, match="'test_fraction' parameter of split_reber_frame"):
        split_reber_frame(one_sided.drop("split"), seed=0, test_fraction=1.0)
    with pytest.raises(ValueError, match="missing column"):
        split_reber_frame(pl.DataFrame({"string": ["A"]}), seed=0)


# --- digest ---------------------------------------------------------------------------------


def test_digest_is_the_rows_not_the_spelling(tmp_path):
    a = _write(tmp_path / "a.csv", "string,valid", [("BTXSE", 1), ("BQE", 0)])
    b = _write(
        tmp_path / "b.csv", "valid,string,note", [("true", "BTXSE", "x"), ("FALSE", "BQE", "y")]
    )
    digest = reber_rows_digest(load_reber_csv(a))
    assert digest == reber_rows_digest(load_reber_csv(b))
    rows = "BTXSE\t1\t\nBQE\t0\t\n"  # the documented canonical form, hashed independently
    assert digest == hashlib.sha256(rows.encode()).hexdigest()
    for changed in ([("BTXSE", 1), ("BQE", 1)], [("BQE", 0), ("BTXSE", 1)], [("BTXSE", 1)]):
        path = _write(tmp_path / "c.csv", "string,valid", changed)
        assert reber_rows_digest(load_reber_csv(path)) != digest
