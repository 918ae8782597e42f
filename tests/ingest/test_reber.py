"""Tests for ingest.reber: acceptor, language counts, distinct sequences and data sets.

The independent answer for the grammar is a regular expression derived by hand from the
automaton of Hochreiter & Schmidhuber (1997), not from the module's transition table; the
language is counted by brute force over all short strings, and the distinct sampler is
compared with its definition (draw walks, throw repeats away) implemented naively.
"""

from __future__ import annotations

import functools
import itertools
import random
import re
from collections import Counter

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import ks_2samp

from ingest.priors_config import PRESETS
from ingest.reber import (
    ALPHABET,
    MAX_LENGTH,
    NEGATIVE_KINDS,
    ReberDataset,
    _distinct_negatives,
    _random_negative,
    count_reber,
    generate_non_reber,
    generate_reber,
    is_reber,
    make_reber_dataset,
    make_reber_frame,
)

# After "BT S* X" or "BP T* V" the walk is in the X/S state or the P/V state; from there
# "(X T* V P)*" loops back and "(X T* V V | S)" finishes.
_TAIL = r"(?:XT*VP)*(?:XT*VV|S)"
REBER_RE = re.compile(rf"B(?:TS*X{_TAIL}|PT*V(?:P{_TAIL}|V))E")


@functools.cache
def _all_true_strings(max_length: int) -> frozenset[str]:
    """Every grammatical string up to ``max_length``, by brute force over B…E strings."""
    out = set()
    for k in range(max_length - 1):
        for middle in itertools.product("TPSXV", repeat=k):
            s = "B" + "".join(middle) + "E"
            if REBER_RE.fullmatch(s):
                out.add(s)
    return frozenset(out)


def _naive_distinct_walks(count: int, seed: int, min_length: int = 5) -> list[str]:
    """The definition: random walks (each branch 1/2), repeats and short ones thrown away."""
    moves = {0: "B1", 1: "T2P3", 2: "S2X4", 3: "T3V5", 4: "X3S6", 5: "P4V6", 6: "E7"}
    rng, seen, out = random.Random(seed), set(), []
    while len(out) < count:
        state, symbols = 0, []
        while state != 7:
            options = moves[state]
            pick = 0 if len(options) == 2 else 2 * (rng.random() < 0.5)
            symbols.append(options[pick])
            state = int(options[pick + 1])
        s = "".join(symbols)
        if s not in seen and len(s) >= min_length:
            seen.add(s)
            out.append(s)
    return out


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


def _lengths(strings) -> list[int]:
    return [len(s) for s in strings]


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


@pytest.mark.parametrize(
    "s", ["", "B", "E", "BE", "BTXS", "TXSE", "BTXSEE", "BTXSE ", "btxse", "BCILHJJJJILGE"]
)
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


# --- counting the language ------------------------------------------------------------------


def test_count_matches_brute_force_per_length():
    strings = _all_true_strings(10)  # about 490,000 B…E strings checked by the regex
    by_length = Counter(map(len, strings))
    for length in range(1, 11):
        assert count_reber(length, length) == by_length.get(length, 0), length
    assert count_reber(5, 10) == len(strings) == 43
    assert count_reber(7, 9) == by_length[7] + by_length[8] + by_length[9]


def test_count_matches_the_transfer_matrix_at_long_lengths():
    # Strings of length L from start to accept = entry (0, 7) of the L-th power of the
    # automaton's adjacency matrix (written out by hand from the diagram, exact integers).

    edges = [(0, 1), (1, 2), (1, 3), (2, 2), (2, 4), (3, 3), (3, 5), (4, 3), (4, 6),
             (5, 4), (5, 6), (6, 7)]  # fmt: skip
    matrix = np.zeros((8, 8), dtype=object)
    for a, b in edges:
        matrix[a, b] += 1
    power = np.identity(8, dtype=object)
    for length in range(1, 54):
        power = power.dot(matrix)
        if length >= 11:
            assert count_reber(length, length) == power[0, 7], length


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_length": 0}, "'min_length' parameter of count_reber"),
        ({"min_length": 12, "max_length": 11}, "'max_length' parameter of count_reber"),
        ({"max_length": MAX_LENGTH + 1}, "'max_length'.*201"),
        ({"min_length": 5.0}, "'min_length'"),
    ],
)
def test_count_rejects_bad_lengths(kwargs, match):
    with pytest.raises(ValueError, match=match):
        count_reber(**kwargs)


# --- true sequences -------------------------------------------------------------------------


def test_generated_true_sequences_are_distinct_and_accepted():
    strings = generate_reber(2000, seed=1)
    assert len(set(strings)) == 2000
    assert all(REBER_RE.fullmatch(s) for s in strings)


def test_distinct_walks_follow_the_definition():
    # Same distribution as drawing walks and throwing repeats away (naive, independent).
    ours = _lengths(generate_reber(3000, seed=2, min_length=7))
    naive = _lengths(_naive_distinct_walks(3000, seed=3, min_length=7))
    assert ks_2samp(ours, naive).pvalue > 0.01
    assert min(ours) == 7
    # Uniqueness lengthens the strings: single walks average 8 symbols, these far more.
    assert sum(ours) / len(ours) > 15


def test_whole_language_can_be_drawn_and_no_more():
    assert set(generate_reber(43, seed=0, max_length=10)) == _all_true_strings(10)
    with pytest.raises(ValueError, match=r"asks for 44 distinct.*only 43 of length 5 to 10"):
        generate_reber(44, seed=0, max_length=10)


def test_lengths_stay_in_range():
    strings = generate_reber(500, seed=4, min_length=11, max_length=20)
    assert min(_lengths(strings)) >= 11 and max(_lengths(strings)) <= 20
    assert len(set(strings)) == 500


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
    assert first == generate_reber(10, seed=5)  # the stream starts where seed 5 does
    assert second != first  # and was advanced


@pytest.mark.parametrize("count", [0, -1, 2.5, True, "3"])
def test_bad_count_is_rejected(count):
    with pytest.raises(ValueError, match=r"'count' parameter of generate_reber.*Got"):
        generate_reber(count, seed=0)


# --- false sequences ------------------------------------------------------------------------


@pytest.mark.parametrize("negatives", NEGATIVE_KINDS)
def test_generated_false_sequences_are_distinct_and_rejected(negatives):
    strings = generate_non_reber(2000, seed=2, negatives=negatives)
    assert len(set(strings)) == 2000
    assert not any(REBER_RE.fullmatch(s) for s in strings)
    assert all(s[0] == "B" and s[-1] == "E" for s in strings)


def test_near_misses_are_one_edit_from_a_true_sequence():
    for s in generate_non_reber(300, seed=3):
        assert any(REBER_RE.fullmatch(t) for t in _one_edit_neighbours(s)), s


@pytest.mark.parametrize("negatives", NEGATIVE_KINDS)
def test_false_lengths_follow_true_length_distribution(negatives):
    true_lengths = _lengths(generate_reber(4000, seed=10))
    false_lengths = _lengths(generate_non_reber(4000, seed=11, negatives=negatives))
    assert ks_2samp(true_lengths, false_lengths).pvalue > 0.01
    # The distinct strings' distribution, not single walks': short lengths are rare.
    assert sum(false_lengths) / 4000 > 15
    for length in (10, 15, 20, 25):
        t, f = true_lengths.count(length), false_lengths.count(length)
        assert abs(t - f) < 0.03 * 4000, (length, t, f)


def test_a_length_without_enough_false_sequences_is_an_error_not_a_loop():
    # B???E: 125 strings of length 5, 2 of them true, so only 123 false ones.
    rng = random.Random(0)
    assert len(set(_distinct_negatives([5] * 123, _random_negative, rng, "test"))) == 123
    with pytest.raises(ValueError, match="no new false sequence of length 5"):
        _distinct_negatives([5] * 124, _random_negative, random.Random(0), "test")


def test_unknown_negatives_is_rejected():
    with pytest.raises(ValueError, match=r"'negatives' parameter of generate_non_reber.*'nope'"):
        generate_non_reber(3, seed=0, negatives="nope")


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
    with pytest.raises(ValueError, match=r"asks for 44 distinct true sequences \(half of n\)"):
        caller(88, seed=0, max_length=10)
    frame = make_reber_frame(86, seed=0, max_length=10)  # all 43 true strings: possible
    assert set(frame.filter(pl.col("valid"))["string"]) == _all_true_strings(10)


@pytest.mark.parametrize("n", [0, -4, 7, 3.0, None])
def test_dataset_rejects_bad_n(n):
    with pytest.raises(ValueError, match=rf"'n' parameter of make_reber_dataset.*{n}"):
        make_reber_dataset(n)


@pytest.mark.parametrize("fraction", [-0.1, 1.5, float("nan"), "0.2"])
def test_dataset_rejects_bad_test_fraction(fraction):
    with pytest.raises(ValueError, match="'test_fraction' parameter of make_reber_dataset"):
        make_reber_dataset(10, test_fraction=fraction)


def test_dataset_rejects_unknown_negatives_and_bad_lengths():
    with pytest.raises(ValueError, match=r"'negatives' parameter of make_reber_dataset.*'easy'"):
        make_reber_dataset(10, negatives="easy")
    with pytest.raises(ValueError, match=r"'max_length' parameter of make_reber_frame"):
        make_reber_frame(10, min_length=11, max_length=10)


def test_random_negatives_dataset():
    data = make_reber_dataset(100, seed=0, negatives="random")
    assert data.negatives == "random"
    both = pl.concat([data.train, data.test])
    assert both["string"].n_unique() == 100
    assert [bool(REBER_RE.fullmatch(s)) for s in both["string"]] == both["valid"].to_list()
