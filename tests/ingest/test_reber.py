"""Tests for ingest.reber: acceptor, generators, data set, encoding and CSV files.

The independent answer for the grammar is a regular expression derived by hand from the
automaton of Hochreiter & Schmidhuber (1997), not from the module's transition table.
"""

from __future__ import annotations

import itertools
import random
import re

import numpy as np
import polars as pl
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import ks_2samp

from ingest.reber import (
    ALPHABET,
    NEGATIVE_KINDS,
    PAD_ID,
    VOCAB,
    ReberDataset,
    check_reber_labels,
    encode,
    generate_non_reber,
    generate_reber,
    is_reber,
    load_reber_csv,
    make_reber_dataset,
    make_reber_frame,
    save_reber_csv,
)

# After "BT S* X" or "BP T* V" the walk is in the X/S state or the P/V state; from there
# "(X T* V P)*" loops back and "(X T* V V | S)" finishes.
_TAIL = r"(?:XT*VP)*(?:XT*VV|S)"
REBER_RE = re.compile(rf"B(?:TS*X{_TAIL}|PT*V(?:P{_TAIL}|V))E")


def _one_edit_neighbours(s: str) -> set[str]:
    """Every string one substitution, insertion or deletion away from ``s``."""
    out = set()
    for i in range(len(s) + 1):
        for c in ALPHABET:
            out.add(s[:i] + c + s[i:])
            if i < len(s):
                out.add(s[:i] + c + s[i + 1 :])
        if i < len(s):
            out.add(s[:i] + s[i + 1 :])
    out.discard(s)
    return out


# --- acceptor -------------------------------------------------------------------------------


def test_paper_examples():
    assert is_reber("BPTVPXTTVVE")
    assert not is_reber("BTTVPXTVPSE")


@pytest.mark.parametrize(
    "s", ["BTXSE", "BPVVE", "BTSSXXTVVE", "BPVPSE", "BTXXVPXVPSE", "BPTTTVPXTVVE"]
)
def test_known_true_sequences(s):
    assert REBER_RE.fullmatch(s)  # the reference agrees these are grammatical
    assert is_reber(s)


@pytest.mark.parametrize("s", ["", "B", "E", "BE", "BTXS", "TXSE", "BTXSEE", "BTXSE ", "btxse"])
def test_rejects_malformed(s):
    assert not is_reber(s)


def test_acceptor_matches_regex_on_all_short_strings():
    # Every B…E string with up to 6 interior symbols: 5**0 + … + 5**6 = 19,531 strings.
    for k in range(7):
        for middle in itertools.product("TPSXV", repeat=k):
            s = "B" + "".join(middle) + "E"
            assert is_reber(s) == bool(REBER_RE.fullmatch(s)), s


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET + "AZ", max_size=20))
def test_acceptor_matches_regex_on_any_text(s):
    assert is_reber(s) == bool(REBER_RE.fullmatch(s))


# --- generators ------------------------------------------------------------------------------


def test_generated_true_sequences_are_accepted():
    strings = generate_reber(2000, seed=1)
    assert all(REBER_RE.fullmatch(s) for s in strings)
    assert len(set(strings)) > 100  # a real random walk, not one repeated string


@pytest.mark.parametrize("negatives", NEGATIVE_KINDS)
def test_generated_false_sequences_are_rejected(negatives):
    strings = generate_non_reber(2000, seed=2, negatives=negatives)
    assert not any(REBER_RE.fullmatch(s) for s in strings)
    assert all(s[0] == "B" and s[-1] == "E" for s in strings)


def test_near_misses_are_one_edit_from_a_true_sequence():
    for s in generate_non_reber(300, seed=3):
        assert any(REBER_RE.fullmatch(t) for t in _one_edit_neighbours(s)), s


@pytest.mark.parametrize("negatives", NEGATIVE_KINDS)
def test_false_lengths_follow_true_length_distribution(negatives):
    true_lengths = [len(s) for s in generate_reber(4000, seed=10)]
    false_lengths = [len(s) for s in generate_non_reber(4000, seed=11, negatives=negatives)]
    assert ks_2samp(true_lengths, false_lengths).pvalue > 0.01
    # Same support at the short end: the most common lengths are matched too.
    for length in (5, 6, 7, 8):
        t, f = true_lengths.count(length), false_lengths.count(length)
        assert abs(t - f) < 0.05 * 4000, (length, t, f)


def test_length_is_no_shortcut_in_dataset():
    data = make_reber_dataset(4000, seed=4)
    frame = pl.concat([data.train, data.test]).with_columns(length=pl.col("string").str.len_chars())
    true = frame.filter(pl.col("valid"))["length"].to_list()
    false = frame.filter(~pl.col("valid"))["length"].to_list()
    assert ks_2samp(true, false).pvalue > 0.01


def test_generation_is_reproducible():
    assert generate_reber(50, seed=7) == generate_reber(50, seed=7)
    assert generate_reber(50, seed=7) != generate_reber(50, seed=8)
    for kind in NEGATIVE_KINDS:
        assert generate_non_reber(50, seed=7, negatives=kind) == generate_non_reber(
            50, seed=7, negatives=kind
        )


def test_generation_accepts_a_shared_random_stream():
    rng = random.Random(5)
    first, second = generate_reber(10, seed=rng), generate_reber(10, seed=rng)
    assert first + second == generate_reber(20, seed=5)


@pytest.mark.parametrize("count", [0, -1, 2.5, True, "3"])
def test_bad_count_is_rejected(count):
    with pytest.raises(ValueError, match=r"'count' parameter of generate_reber.*Got"):
        generate_reber(count, seed=0)


def test_unknown_negatives_is_rejected():
    with pytest.raises(ValueError, match=r"'negatives' parameter of generate_non_reber.*'nope'"):
        generate_non_reber(3, seed=0, negatives="nope")


# --- data set -------------------------------------------------------------------------------


def test_paper_dataset_sizes_and_balance():
    data = make_reber_dataset()
    assert isinstance(data, ReberDataset)
    assert (data.train.height, data.test.height) == (18750, 6250)
    assert data.train["valid"].sum() == 9375
    assert data.test["valid"].sum() == 3125
    both = pl.concat([data.train, data.test])
    assert both["valid"].sum() == 12500
    assert both.schema == pl.Schema({"string": pl.String, "valid": pl.Boolean})
    accepted = [bool(REBER_RE.fullmatch(s)) for s in both["string"]]
    assert accepted == both["valid"].to_list()


def test_dataset_is_reproducible_and_seed_dependent():
    a, b = make_reber_dataset(200, seed=3), make_reber_dataset(200, seed=3)
    assert a.train.equals(b.train) and a.test.equals(b.test)
    c = make_reber_dataset(200, seed=4)
    assert not a.train.equals(c.train)


def test_dataset_rows_are_shuffled():
    labels = make_reber_dataset(400, seed=0).train["valid"].to_list()
    assert labels != sorted(labels) and labels != sorted(labels, reverse=True)


@pytest.mark.parametrize(
    ("fraction", "sizes", "test_true"),
    [(0.0, (10, 0), 0), (1.0, (0, 10), 5), (0.3, (7, 3), 1)],
)
def test_dataset_split_edges(fraction, sizes, test_true):
    data = make_reber_dataset(10, seed=0, test_fraction=fraction)
    assert (data.train.height, data.test.height) == sizes
    assert data.test["valid"].sum() == test_true
    assert data.train["valid"].sum() + test_true == 5


@pytest.mark.parametrize("n", [0, -4, 7, 3.0, None])
def test_dataset_rejects_bad_n(n):
    with pytest.raises(ValueError, match=rf"'n' parameter of make_reber_dataset.*{n}"):
        make_reber_dataset(n)


@pytest.mark.parametrize("fraction", [-0.1, 1.5, float("nan"), "0.2"])
def test_dataset_rejects_bad_test_fraction(fraction):
    with pytest.raises(ValueError, match="'test_fraction' parameter of make_reber_dataset"):
        make_reber_dataset(10, test_fraction=fraction)


def test_dataset_rejects_unknown_negatives():
    with pytest.raises(ValueError, match=r"'negatives' parameter of make_reber_dataset.*'easy'"):
        make_reber_dataset(10, negatives="easy")


def test_random_negatives_dataset():
    data = make_reber_dataset(100, seed=0, negatives="random")
    assert data.negatives == "random"
    both = pl.concat([data.train, data.test])
    assert [bool(REBER_RE.fullmatch(s)) for s in both["string"]] == both["valid"].to_list()


def test_frame_is_balanced():
    frame = make_reber_frame(30, seed=2)
    assert frame.height == 30 and frame["valid"].sum() == 15


# --- encoding -------------------------------------------------------------------------------


def _reference_encode(strings):
    width = max(len(s) for s in strings)
    padded = [[VOCAB[c] for c in s] + [PAD_ID] * (width - len(s)) for s in strings]
    return torch.tensor(padded), torch.tensor([len(s) for s in strings])


def test_encode_matches_reference():
    strings = generate_reber(500, seed=0) + generate_non_reber(500, seed=1)
    padded, lengths = encode(strings)
    want_padded, want_lengths = _reference_encode(strings)
    assert padded.dtype == lengths.dtype == torch.long
    assert torch.equal(padded, want_padded)
    assert torch.equal(lengths, want_lengths)


def test_encode_vocabulary_is_fixed():
    assert PAD_ID == 0
    assert sorted(VOCAB.values()) == list(range(1, len(ALPHABET) + 1))
    padded, _ = encode(["BTXSE"])
    assert padded.tolist() == [[1, 2, 5, 4, 7]]


def test_encode_accepts_polars_series_and_empty_input():
    strings = ["BTXSE", "BPTVVE"]
    padded, lengths = encode(pl.Series(strings))
    assert torch.equal(padded, _reference_encode(strings)[0])
    empty, empty_lengths = encode([])
    assert empty.shape == (0, 0) and empty_lengths.shape == (0,)


@pytest.mark.parametrize(
    ("strings", "match"),
    [
        (["BTXSE", "BTQSE"], r"strings\[1\] = 'BTQSE' holds 'Q'"),
        (["BTXSE", "BTXSE", "BT€"], r"strings\[2\].*'€'"),
        (["BTXSE", ""], r"empty string \(strings\[1\]\)"),
    ],
)
def test_encode_rejects_bad_strings(strings, match):
    with pytest.raises(ValueError, match=match):
        encode(strings)


def test_encode_rejects_non_strings():
    with pytest.raises(TypeError, match="single str"):
        encode("BTXSE")
    with pytest.raises(TypeError, match=r"strings\[1\] is 3"):
        encode(["BTXSE", 3])


# --- labels check and CSV -------------------------------------------------------------------


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


def test_csv_round_trip(tmp_path):
    frame = make_reber_frame(50, seed=9)
    path = save_reber_csv(frame, tmp_path / "sub" / "reber.csv")
    assert path.read_text().splitlines()[0] == "string,valid"
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
    path.write_text("id,string,valid\n1,BTXSE, TRUE\n2,BTTSE,0\n3,BPVVE,1\n")
    frame = load_reber_csv(path)
    assert frame.rows() == [("BTXSE", True), ("BTTSE", False), ("BPVVE", True)]


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("string,label\nBTXSE,true\n", r"missing column\(s\) \['valid'\]"),
        ("seq,valid\nBTXSE,true\n", r"missing column\(s\) \['string'\]"),
        ("string,valid\nBTXSE,true\nBPVVE,maybe\n", r"row 2 has 'maybe'"),
        ("string,valid\nBTXSE,\n", r"row 1 has an empty value"),
        ("string,valid\nBTXSE,true\nBTQSE,false\n", r"row 2 has 'BTQSE'"),
        ("string,valid\n,true\n", r"'string'.*row 1 has an empty value"),
        ("", r"is empty"),
    ],
)
def test_load_errors_name_the_file_and_the_problem(tmp_path, content, match):
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
