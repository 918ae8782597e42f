"""Tests for ingest.reber: acceptor, language counts, distinct true and false sequences.

The independent answers are in :mod:`tests.ingest.reber_reference`: a hand-derived regular
expression, brute-force enumeration, and the naive definition of distinct walks.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import ks_2samp

from ingest.reber import (
    ALPHABET,
    MAX_LENGTH,
    NEGATIVE_KINDS,
    _distinct_negatives,
    _random_negative,
    count_reber,
    generate_non_reber,
    generate_reber,
    generate_reber_pairs,
    is_reber,
)
from tests.ingest.reber_reference import (
    REBER_RE,
    all_true_strings,
    naive_distinct_walks,
    one_edit_neighbours,
)


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
    strings = all_true_strings(10)  # about 490,000 B…E strings checked by the regex
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
    naive = _lengths(naive_distinct_walks(3000, seed=3, min_length=7))
    assert ks_2samp(ours, naive).pvalue > 0.01
    assert min(ours) == 7
    # Uniqueness lengthens the strings: single walks average 8 symbols, these far more.
    assert sum(ours) / len(ours) > 15


def test_whole_language_can_be_drawn_and_no_more():
    assert set(generate_reber(43, seed=0, max_length=10)) == all_true_strings(10)
    with pytest.raises(ValueError, match=r"cannot draw 44 distinct.*only 43 of length 5 to 10"):
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
        assert any(REBER_RE.fullmatch(t) for t in one_edit_neighbours(s)), s


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


def test_pairs_are_length_matched_distinct_and_shuffled():
    true, false = generate_reber_pairs(1000, seed=5, min_length=8)
    assert _lengths(true) == _lengths(false) and min(_lengths(true)) >= 8
    assert len(set(true)) == len(set(false)) == 1000
    assert all(map(REBER_RE.fullmatch, true)) and not any(map(REBER_RE.fullmatch, false))
    assert _lengths(true) != sorted(_lengths(true))  # not the draw order (short first)


def test_a_length_without_enough_false_sequences_is_an_error_not_a_loop():
    # B???E: 125 strings of length 5, 2 of them true, so only 123 false ones.
    rng = random.Random(0)
    assert len(set(_distinct_negatives([5] * 123, _random_negative, rng, "test"))) == 123
    with pytest.raises(ValueError, match="no new false sequence of length 5"):
        _distinct_negatives([5] * 124, _random_negative, random.Random(0), "test")


def test_unknown_negatives_is_rejected():
    with pytest.raises(ValueError, match=r"'negatives' parameter of generate_non_reber.*'nope'"):
        generate_non_reber(3, seed=0, negatives="nope")
