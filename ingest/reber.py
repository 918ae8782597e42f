"""The Reber grammar: acceptor, language counts, distinct true and false sequences.

The recurrent experiments of the paper (sections 4.2 and 4.3) classify strings as inside or
outside the Reber grammar [Reber 1967; Hochreiter & Schmidhuber 1997, Fahlman 1991]: a
finite automaton that emits ``B``, then a walk over ``T P S X V``, then ``E``::

    state 0 --B--> 1
    state 1 --T--> 2    state 1 --P--> 3
    state 2 --S--> 2    state 2 --X--> 4
    state 3 --T--> 3    state 3 --V--> 5
    state 4 --X--> 3    state 4 --S--> 6
    state 5 --P--> 4    state 5 --V--> 6
    state 6 --E--> 7 (accept)

**Every string appears at most once.** True sequences are random walks that take each of two
branches with probability 1/2, drawn *without repeats*: exactly as if walks were drawn one
after another and any string already drawn (or outside the allowed lengths) were thrown
away — but computed from the automaton's path counts, so it never loops. A string of length
L has walk probability 2**-(L-2), so the short strings are used up first and distinct
strings are longer than single walks (mean length about 24 for 12,500 strings, 8 for one
walk). Asking for more distinct strings than the grammar holds at the allowed lengths
raises a ``ValueError`` at once (:func:`count_reber` counts them). Data sets made of them
(:mod:`ingest.reber_dataset`) therefore never share a string between train and test.

False sequences are by default *near misses*: a true sequence with one interior symbol
substituted, inserted or deleted, redrawn until the automaton rejects it. Each false
sequence has the length of one true sequence of the same data set (one per true sequence),
so both classes have the same length distribution and length alone tells nothing about the
label. ``negatives="random"`` gives random interior symbols between ``B`` and ``E``
instead, with the same lengths. False sequences are distinct too.

Labelled frames and train/test sets are in :mod:`ingest.reber_dataset`, files in
:mod:`ingest.reber_csv`, token ids in :mod:`ingest.reber_encoding`.

Example
-------
>>> is_reber("BPTVPXTTVVE"), is_reber("BTTVPXTVPSE")
(True, False)
>>> count_reber(5, 7)  # BTXSE BPVVE | BTSXSE BPTVVE BPVPSE | four of length 7
9
>>> true, false = generate_reber_pairs(3, seed=0, min_length=11)
>>> [len(s) for s in true] == [len(s) for s in false], any(map(is_reber, false))
(True, False)
"""

from __future__ import annotations

import numbers
import random
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = [
    "ALPHABET",
    "MAX_LENGTH",
    "MIN_LENGTH",
    "NEGATIVE_KINDS",
    "count_reber",
    "generate_non_reber",
    "generate_reber",
    "generate_reber_pairs",
    "is_reber",
]

ALPHABET = "BTPSXVE"
"""Every symbol of the grammar; ``B`` starts and ``E`` ends every true sequence."""

MIN_LENGTH = 5
"""Length of the shortest true sequences (``BTXSE``, ``BPVVE``): the default ``min_length``."""

MAX_LENGTH = 200
"""Longest length ever drawn: a walk exceeds it with probability below 1e-26, so the default
``max_length=None`` ("as long as the walk goes") means this bound."""

# The automaton as a transition table: state -> {symbol: next state}.
_START, _ACCEPT = 0, 7
_TRANSITIONS: dict[int, dict[str, int]] = {
    0: {"B": 1},
    1: {"T": 2, "P": 3},
    2: {"S": 2, "X": 4},
    3: {"T": 3, "V": 5},
    4: {"X": 3, "S": 6},
    5: {"P": 4, "V": 6},
    6: {"E": _ACCEPT},
}
_INTERIOR = "TPSXV"  # symbols between B and E


def is_reber(s: str) -> bool:
    """Whether the automaton accepts ``s`` (any string; unknown symbols are rejected).

    >>> is_reber("BTXSE"), is_reber("BTXS"), is_reber(""), is_reber("BCILHJJJJILGE")
    (True, False, False, False)
    """
    state = _START
    for symbol in s:
        state = _TRANSITIONS.get(state, {}).get(symbol, -1)
        if state < 0:
            return False
    return state == _ACCEPT


def count_reber(min_length: int = MIN_LENGTH, max_length: int | None = None) -> int:
    """Number of distinct true sequences with ``min_length <= length <= max_length``.

    ``max_length=None`` means :data:`MAX_LENGTH`. Counted with the automaton's path counts
    (instant at any length).

    >>> count_reber(11, 53) > 10**8, count_reber(5, 11)
    (True, 67)
    """
    low, high = _length_range(min_length, max_length, "count_reber")
    return sum(_paths(_START, length) for length in range(low, high + 1))


def generate_reber(
    count: int,
    *,
    seed: int | random.Random,
    min_length: int = MIN_LENGTH,
    max_length: int | None = None,
) -> list[str]:
    """Draw ``count`` distinct true sequences (random walks without repeats), in draw order.

    Parameters
    ----------
    count:
        Number of sequences, at least 1.
    seed:
        Integer seed, or a ``random.Random`` to draw from (and advance).
    min_length, max_length:
        Allowed lengths. The defaults, :data:`MIN_LENGTH` (5, the shortest true sequence) and
        ``None`` (no bound: :data:`MAX_LENGTH`), restrict nothing; the paper's published data
        has lengths 11 to 53.

    Raises
    ------
    ValueError
        If ``count`` is not a positive integer, ``seed`` neither an int nor a Random, the
        lengths are bad, or the grammar has fewer than ``count`` strings of those lengths.
    """
    caller = "generate_reber"
    _check_positive(count, "count", caller)
    low, high = _length_range(min_length, max_length, caller)
    _check_supply(count, low, high, caller)
    return _distinct_walks(count, _as_rng(seed, caller), low, high)


def generate_non_reber(
    count: int,
    *,
    seed: int | random.Random,
    negatives: str = "near-miss",
    min_length: int = MIN_LENGTH,
    max_length: int | None = None,
) -> list[str]:
    """Draw ``count`` distinct false sequences with the lengths of distinct true ones.

    The lengths are those of ``count`` distinct true sequences drawn as in
    :func:`generate_reber` (same ``min_length`` / ``max_length``), one false sequence per
    length, so both classes share one length distribution.

    Parameters
    ----------
    negatives:
        ``"near-miss"``: a true sequence with one interior symbol substituted, inserted or
        deleted (kind chosen uniformly among those possible for the length).
        ``"random"``: ``B`` + uniformly random interior symbols + ``E``.
        Either way every result is rejected by :func:`is_reber`.

    Raises
    ------
    ValueError
        As :func:`generate_reber`, or ``negatives`` not in :data:`NEGATIVE_KINDS`.
    """
    return _pairs(count, seed, negatives, min_length, max_length, "generate_non_reber")[1]


def generate_reber_pairs(
    count: int,
    *,
    seed: int | random.Random,
    negatives: str = "near-miss",
    min_length: int = MIN_LENGTH,
    max_length: int | None = None,
) -> tuple[list[str], list[str]]:
    """``count`` distinct true sequences in random order, and a false one of each's length.

    ``false[i]`` has the length of ``true[i]``, so any subset of pairs has the same length
    distribution in both classes; no string occurs twice in either list. Parameters as
    :func:`generate_non_reber`. This is what labelled data sets are made of
    (:mod:`ingest.reber_dataset`).

    Raises
    ------
    ValueError
        As :func:`generate_non_reber`.
    """
    return _pairs(count, seed, negatives, min_length, max_length, "generate_reber_pairs")


# ---------------------------------------------------------------------------------------------
# Private helpers

# Transitions as tuples: state -> ((symbol, next), ...).
_CHOICES: dict[int, tuple[tuple[str, int], ...]] = {
    state: tuple(moves.items()) for state, moves in _TRANSITIONS.items()
}
_STATES = range(_ACCEPT + 1)
# _PATH_TABLE[length][state]: strings of `length` symbols leading from `state` to acceptance.
_PATH_TABLE: list[tuple[int, ...]] = [tuple(int(s == _ACCEPT) for s in _STATES)]
_MAX_TRIES = 10_000  # attempts to find one new false sequence before giving up


def _paths(state: int, length: int) -> int:
    """Number of symbol strings of ``length`` leading from ``state`` to acceptance."""
    while len(_PATH_TABLE) <= length:
        last = _PATH_TABLE[-1]
        _PATH_TABLE.append(tuple(sum(last[n] for _, n in _CHOICES.get(s, ())) for s in _STATES))
    return _PATH_TABLE[length][state]


def _pairs(
    count: Any, seed: Any, negatives: Any, min_length: Any, max_length: Any, caller: str
) -> tuple[list[str], list[str]]:
    """Validated :func:`generate_reber_pairs`; errors name ``caller``."""
    _check_positive(count, "count", caller)
    sampler = _negative_sampler(negatives, caller)
    low, high = _length_range(min_length, max_length, caller)
    _check_supply(count, low, high, caller)
    rng = _as_rng(seed, caller)
    true = _distinct_walks(count, rng, low, high)
    rng.shuffle(true)  # draw order favours short strings
    return true, _distinct_negatives([len(s) for s in true], sampler, rng, caller)


def _distinct_walks(count: int, rng: random.Random, low: int, high: int) -> list[str]:
    """``count`` distinct walks of length ``low..high``, as if repeats were redrawn.

    Successive sampling without replacement: each draw picks a length with probability
    proportional to (strings of that length not drawn yet) × 2**-(L-2), then a string of
    that length not drawn yet, uniformly. Integer weights 2**(high-L) keep it exact.
    """
    sizes = {length: _paths(_START, length) for length in range(low, high + 1)}
    weight = {length: size << (high - length) for length, size in sizes.items() if size}
    total = sum(weight.values())
    lengths = []
    for _ in range(count):
        length, _ = _pick(weight, rng.randrange(total))
        lengths.append(length)
        unit = 1 << (high - length)
        total -= unit
        weight[length] -= unit
        if not weight[length]:
            del weight[length]  # used up
    drawn = Counter(lengths)
    ranks = {length: _distinct_ranks(drawn[length], length, rng) for length in sorted(drawn)}
    return [_unrank(length, next(ranks[length])) for length in lengths]


def _pick(weight: dict[Any, int], r: int) -> tuple[Any, int]:
    """The key whose cumulative-weight interval holds ``r`` (``0 <= r < sum``), and the
    offset of ``r`` within that interval."""
    for key, w in weight.items():
        if r < w:
            return key, r
        r -= w
    raise AssertionError("r is below the total weight")  # unreachable: r < sum(weight)


def _distinct_ranks(k: int, length: int, rng: random.Random) -> Iterator[int]:
    """``k`` distinct uniform ranks among the true sequences of ``length``, random order."""
    size = _paths(_START, length)
    if size <= sys.maxsize:
        return iter(rng.sample(range(size), k))
    chosen: dict[int, None] = {}  # size > 9e18: repeats are rare, insertion order random
    while len(chosen) < k:
        chosen[rng.randrange(size)] = None
    return iter(chosen)


def _unrank(length: int, rank: int) -> str:
    """The ``rank``-th true sequence of ``length`` (in the automaton's branch order)."""
    state, out = _START, []
    for remaining in range(length, 0, -1):
        paths = {move: _paths(move[1], remaining - 1) for move in _CHOICES[state]}
        (symbol, state), rank = _pick(paths, rank)
        out.append(symbol)
    return "".join(out)


def _sample_of_length(length: int, rng: random.Random) -> str:
    """A true sequence of exactly ``length`` symbols, uniform among all of them."""
    return _unrank(length, rng.randrange(_paths(_START, length)))


def _near_miss(target: int, rng: random.Random) -> str:
    """A one-edit near miss of length ``target`` (may be grammatical; the caller checks)."""
    # Inserting needs a true sequence one shorter, which exists only above the minimum.
    kinds = ("substitute", "insert", "delete") if target > MIN_LENGTH else ("substitute", "delete")
    kind = rng.choice(kinds)
    if kind == "substitute":
        base = _sample_of_length(target, rng)
        i = rng.randrange(1, target - 1)
        symbol = rng.choice([c for c in _INTERIOR if c != base[i]])
        return base[:i] + symbol + base[i + 1 :]
    if kind == "insert":
        base = _sample_of_length(target - 1, rng)
        i = rng.randrange(1, target - 1)  # between B and E, E included
        return base[:i] + rng.choice(_INTERIOR) + base[i:]
    base = _sample_of_length(target + 1, rng)
    i = rng.randrange(1, target)  # an interior symbol
    return base[:i] + base[i + 1 :]


def _random_negative(target: int, rng: random.Random) -> str:
    """``B`` + random interior symbols + ``E``, ``target`` long (may be grammatical)."""
    return "B" + "".join(rng.choices(_INTERIOR, k=target - 2)) + "E"


_NEGATIVES: dict[str, Callable[[int, random.Random], str]] = {
    "near-miss": _near_miss,
    "random": _random_negative,
}
NEGATIVE_KINDS: tuple[str, ...] = tuple(_NEGATIVES)
"""Valid values of the ``negatives`` parameter."""


def _distinct_negatives(
    lengths: Sequence[int], sampler: Callable[[int, random.Random], str], rng: random.Random,
    caller: str,
) -> list[str]:  # fmt: skip
    """One new false sequence per length: rejected by the acceptor, none twice."""
    seen: set[str] = set()
    out = []
    for length in lengths:
        for _ in range(_MAX_TRIES):
            candidate = sampler(length, rng)
            if candidate not in seen and not is_reber(candidate):
                break
        else:
            raise ValueError(
                f"{caller} found no new false sequence of length {length} in {_MAX_TRIES} "
                "tries; ask for fewer sequences or allow longer ones."
            )
        seen.add(candidate)
        out.append(candidate)
    return out


def _negative_sampler(negatives: Any, caller: str) -> Callable[[int, random.Random], str]:
    try:
        return _NEGATIVES[negatives]
    except (KeyError, TypeError):
        raise ValueError(
            f"The 'negatives' parameter of {caller} must be one of {list(NEGATIVE_KINDS)}. "
            f"Got {negatives!r} instead."
        ) from None


def _length_range(min_length: Any, max_length: Any, caller: str) -> tuple[int, int]:
    if not _is_int(min_length) or not 1 <= min_length <= MAX_LENGTH:
        raise ValueError(
            f"The 'min_length' parameter of {caller} must be an integer in [1, {MAX_LENGTH}]. "
            f"Got {min_length!r} instead."
        )
    if max_length is None:
        return int(min_length), MAX_LENGTH
    if not _is_int(max_length) or not min_length <= max_length <= MAX_LENGTH:
        raise ValueError(
            f"The 'max_length' parameter of {caller} must be None or an integer in "
            f"[min_length={min_length}, {MAX_LENGTH}]. Got {max_length!r} instead."
        )
    return int(min_length), int(max_length)


def _check_supply(wanted: int, low: int, high: int, caller: str) -> None:
    """Refuse at once to draw more distinct true sequences than the grammar holds."""
    supply = count_reber(low, high)
    if wanted > supply:
        raise ValueError(
            f"{caller} cannot draw {wanted:,} distinct true sequences: the Reber grammar holds "
            f"only {supply:,} of length {low} to {high}. Ask for fewer or allow other lengths "
            "(min_length/max_length)."
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_positive(value: Any, name: str, caller: str) -> None:
    if not _is_int(value) or value < 1:
        what = "a positive integer"
        raise ValueError(
            f"The '{name}' parameter of {caller} must be {what}. Got {value!r} instead."
        )


def _as_rng(seed: Any, caller: str, *, allow_random: bool = True) -> random.Random:
    if allow_random and isinstance(seed, random.Random):
        return seed
    if not _is_int(seed):
        what = "an integer or a random.Random" if allow_random else "an integer"
        raise ValueError(f"The 'seed' parameter of {caller} must be {what}. Got {seed!r} instead.")
    return random.Random(int(seed))
