"""Tests for ingest.reber_dataset: distinct, balanced, length-matched frames and splits."""

from __future__ import annotations

import polars as pl
import pytest
from scipy.stats import ks_2samp

from ingest.priors_config import PRESETS
from ingest.reber import MAX_LENGTH
from ingest.reber_dataset import ReberDataset, make_reber_dataset, make_reber_frame
from tests.ingest.reber_reference import REBER_RE, all_true_strings

# --- frames and data sets -------------------------------------------------------------------


def _preset_dataset(name: str) -> ReberDataset:
    config = PRESETS[name]
    return make_reber_dataset(
        config.sequences, seed=config.seed, negatives=config.negatives,
        min_length=config.min_length, max_length=config.max_length,
    )  # fmt: skip


@pytest.mark.parametrize(("preset", "sizes"), [("paper", (18_750, 6_250)), ("demo", (2_250, 750))])
def test_preset_datasets_are_distinct_with_no_overlap(preset, sizes):
    data = _preset_dataset(preset)
    assert (data.train.height, data.test.height) == sizes
    train, test = set(data.train["string"]), set(data.test["string"])
    assert len(train) == data.train.height and len(test) == data.test.height
    assert not train & test
    both = pl.concat([data.train, data.test])
    assert both["valid"].sum() == both.height // 2
    assert [bool(REBER_RE.fullmatch(s)) for s in both["string"]] == both["valid"].to_list()
    config = PRESETS[preset]
    lengths = both["string"].str.len_chars()
    assert lengths.min() >= config.min_length
    assert lengths.max() <= (config.max_length or MAX_LENGTH)


def test_paper_dataset_sizes_balance_and_lengths():
    data = make_reber_dataset()
    assert (data.train.height, data.test.height) == (18750, 6250)
    assert (data.train["valid"].sum(), data.test["valid"].sum()) == (9375, 3125)
    assert data.train.schema == pl.Schema({"string": pl.String, "valid": pl.Boolean})
    true = data.train.filter(pl.col("valid"))["string"].str.len_chars()
    assert 22 < true.mean() < 26  # distinct strings: about 24 symbols, not a walk's 8


def test_length_is_no_shortcut_in_any_split():
    data = make_reber_dataset(4000, seed=4)
    for split in (data.train, data.test):
        lengths = split.with_columns(length=pl.col("string").str.len_chars())
        true = sorted(lengths.filter(pl.col("valid"))["length"])
        false = sorted(lengths.filter(~pl.col("valid"))["length"])
        assert true == false  # one false sequence per true sequence, of the same length
        assert ks_2samp(true, false).pvalue > 0.99


def test_frame_is_balanced_distinct_and_length_matched():
    frame = make_reber_frame(3000, seed=2)
    assert frame.height == 3000 and frame["valid"].sum() == 1500
    assert frame["string"].n_unique() == 3000
    lengths = frame.with_columns(length=pl.col("string").str.len_chars())
    assert sorted(lengths.filter(pl.col("valid"))["length"]) == sorted(
        lengths.filter(~pl.col("valid"))["length"]
    )


def test_dataset_is_reproducible_and_seed_dependent():
    a, b = make_reber_dataset(200, seed=3), make_reber_dataset(200, seed=3)
    assert a.train.equals(b.train) and a.test.equals(b.test)
    c = make_reber_dataset(200, seed=4)
    assert not a.train.equals(c.train)


def test_dataset_rows_are_shuffled():
    data = make_reber_dataset(400, seed=0)
    labels = data.train["valid"].to_list()
    assert labels != sorted(labels) and labels != sorted(labels, reverse=True)
    lengths = data.train["string"].str.len_chars().to_list()
    assert lengths != sorted(lengths)  # the draw order (short strings first) is gone


@pytest.mark.parametrize(
    ("fraction", "sizes", "test_true"),
    [(0.0, (10, 0), 0), (1.0, (0, 10), 5), (0.3, (7, 3), 1)],
)
def test_dataset_split_edges(fraction, sizes, test_true):
    data = make_reber_dataset(10, seed=0, test_fraction=fraction)
    assert (data.train.height, data.test.height) == sizes
    assert data.test["valid"].sum() == test_true
    assert data.train["valid"].sum() + test_true == 5


@pytest.mark.parametrize("caller", [make_reber_frame, make_reber_dataset])
def test_more_than_the_grammar_holds_is_a_clear_error(caller):
    with pytest.raises(ValueError, match=rf"{caller.__name__}\(n=88\).*cannot draw 44 distinct"):
        caller(88, seed=0, max_length=10)
    frame = make_reber_frame(86, seed=0, max_length=10)  # all 43 true strings: possible
    assert set(frame.filter(pl.col("valid"))["string"]) == all_true_strings(10)


@pytest.mark.parametrize("n", [0, -4, 7, 3.0, None])
def test_dataset_rejects_bad_n(n):
    with pytest.raises(ValueError, match=rf"'n' parameter of make_reber_dataset.*{n}"):
        make_reber_dataset(n)


@pytest.mark.parametrize("fraction", [-0.1, 1.5, float("nan"), "0.2"])
def test_dataset_rejects_bad_test_fraction(fraction):
    with pytest.raises(ValueError, match="'test_fraction' parameter of make_reber_dataset"):
        make_reber_dataset(10, test_fraction=fraction)


def test_dataset_rejects_unknown_negatives_and_bad_lengths():
    with pytest.raises(ValueError, match=r"make_reber_dataset\(n=10\).*'negatives'.*'easy'"):
        make_reber_dataset(10, negatives="easy")
    with pytest.raises(ValueError, match=r"make_reber_frame\(n=10\).*'max_length' parameter"):
        make_reber_frame(10, min_length=11, max_length=10)


def test_random_negatives_dataset():
    data = make_reber_dataset(100, seed=0, negatives="random")
    assert data.negatives == "random"
    both = pl.concat([data.train, data.test])
    assert both["string"].n_unique() == 100
    assert [bool(REBER_RE.fullmatch(s)) for s in both["string"]] == both["valid"].to_list()
