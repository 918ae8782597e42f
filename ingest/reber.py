"""The Reber grammar data set: true and false sequences, splits, encoding and CSV files.

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

True sequences are random walks that take each of the two branches with probability 1/2.
False sequences are by default *near misses*: a true sequence with one interior symbol
substituted, inserted or deleted, redrawn until the automaton rejects it. Their length is
drawn from the same distribution as the true sequences' (the edit is applied to a true
sequence of the right length, sampled uniformly among those of that length — exactly the
walk's distribution given its length), so length alone tells nothing about the label.
``negatives="random"`` gives random interior symbols between ``B`` and ``E`` instead, again
with true-sequence lengths.

Data sets are polars frames with a ``string`` (str) and a ``valid`` (bool) column, which is
also the CSV layout (``string,valid``; labels ``true``/``false``, ``1``/``0`` also read).

Example
-------
>>> is_reber("BPTVPXTTVVE"), is_reber("BTTVPXTVPSE")
(True, False)
>>> data = make_reber_dataset(8, seed=0)
>>> data.train.height, data.test.height
(6, 2)
>>> padded, lengths = encode(["BTXSE", "BPVPSE"])
>>> padded.tolist(), lengths.tolist()
([[1, 2, 5, 4, 7, 0], [1, 3, 6, 3, 4, 7]], [5, 6])
"""

from __future__ import annotations

import functools
import math
import numbers
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import torch

__all__ = [
    "ALPHABET",
    "NEGATIVE_KINDS",
    "PAD_ID",
    "VOCAB",
    "ReberCheck",
    "ReberDataset",
    "check_reber_labels",
    "encode",
    "generate_non_reber",
    "generate_reber",
    "is_reber",
    "load_reber_csv",
    "make_reber_dataset",
    "make_reber_frame",
    "save_reber_csv",
]

ALPHABET = "BTPSXVE"
"""Every symbol of the grammar; ``B`` starts and ``E`` ends every true sequence."""

PAD_ID = 0
"""Token id of padding in :func:`encode`."""

VOCAB: dict[str, int] = {symbol: i + 1 for i, symbol in enumerate(ALPHABET)}
"""Fixed token ids of :func:`encode`: ``B=1, T=2, P=3, S=4, X=5, V=6, E=7`` (0 is padding)."""

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
_MIN_LENGTH = 5  # BTXSE, BPVVE


def is_reber(s: str) -> bool:
    """Whether the automaton accepts ``s`` (any string; unknown symbols are rejected).

    >>> is_reber("BTXSE"), is_reber("BTXS"), is_reber("")
    (True, False, False)
    """
    state = _START
    for symbol in s:
        state = _TRANSITIONS.get(state, {}).get(symbol, -1)
        if state < 0:
            return False
    return state == _ACCEPT


def generate_reber(count: int, *, seed: int | random.Random) -> list[str]:
    """Draw ``count`` true sequences (random walks through the automaton).

    Parameters
    ----------
    count:
        Number of sequences, at least 1.
    seed:
        Integer seed, or a ``random.Random`` to draw from (and advance).

    Raises
    ------
    ValueError
        If ``count`` is not a positive integer or ``seed`` neither an int nor a Random.
    """
    _check_positive(count, "count", "generate_reber")
    rng = _as_rng(seed, "generate_reber")
    return [_walk(rng) for _ in range(count)]


def generate_non_reber(
    count: int, *, seed: int | random.Random, negatives: str = "near-miss"
) -> list[str]:
    """Draw ``count`` false sequences whose lengths follow the true sequences' distribution.

    Parameters
    ----------
    count:
        Number of sequences, at least 1.
    seed:
        Integer seed, or a ``random.Random`` to draw from (and advance).
    negatives:
        ``"near-miss"``: a true sequence with one interior symbol substituted, inserted or
        deleted (kind chosen uniformly among those possible for the length).
        ``"random"``: ``B`` + uniformly random interior symbols + ``E``.
        Either way every result is rejected by :func:`is_reber`.

    Raises
    ------
    ValueError
        Bad ``count`` or ``seed``, or ``negatives`` not in :data:`NEGATIVE_KINDS`.
    """
    _check_positive(count, "count", "generate_non_reber")
    sampler = _negative_sampler(negatives, "generate_non_reber")
    rng = _as_rng(seed, "generate_non_reber")
    return [sampler(rng) for _ in range(count)]


def make_reber_frame(n: int, *, seed: int = 0, negatives: str = "near-miss") -> pl.DataFrame:
    """``n`` labelled sequences, exactly half true, in random order.

    Returns
    -------
    polars.DataFrame
        Columns ``string`` (str) and ``valid`` (bool). Sequences may repeat (short ones are
        common: ``BTXSE`` is 1/8 of all true ones).

    Raises
    ------
    ValueError
        If ``n`` is not a positive even integer, or bad ``seed`` / ``negatives``.
    """
    _check_positive(n, "n", "make_reber_frame", even=True)
    rng = _as_rng(seed, "make_reber_frame", allow_random=False)
    sampler = _negative_sampler(negatives, "make_reber_frame")
    rows = [(_walk(rng), True) for _ in range(n // 2)]
    rows += [(sampler(rng), False) for _ in range(n // 2)]
    rng.shuffle(rows)
    return _frame(rows)


@dataclass(frozen=True)
class ReberDataset:
    """The paper's Reber data set: balanced train and test frames.

    Attributes
    ----------
    train, test:
        polars frames with columns ``string`` (str) and ``valid`` (bool), rows in random
        order. Each split is balanced (to within one row when its size is odd).
    seed:
        Seed the data set was drawn from.
    negatives:
        How the false sequences were made (see :func:`generate_non_reber`).
    """

    train: pl.DataFrame
    test: pl.DataFrame
    seed: int
    negatives: str


def make_reber_dataset(
    n: int = 25000,
    *,
    seed: int = 0,
    negatives: str = "near-miss",
    test_fraction: float = 0.25,
) -> ReberDataset:
    """Draw ``n`` sequences, exactly half true, split into train and test sets.

    The defaults are the paper's set-up: 25,000 sequences, 12,500 true, split 75/25 into
    18,750 training and 6,250 test sequences. The split is stratified: the test set holds
    ``round(n * test_fraction)`` rows, half of them true (the extra row of an odd size is
    false). The same arguments always give the same data set.

    Raises
    ------
    ValueError
        If ``n`` is not a positive even integer, ``test_fraction`` is outside ``[0, 1]``,
        or ``seed`` / ``negatives`` are bad.
    """
    caller = "make_reber_dataset"
    _check_positive(n, "n", caller, even=True)
    if not _is_real(test_fraction) or not 0.0 <= test_fraction <= 1.0:
        raise ValueError(
            f"The 'test_fraction' parameter of {caller} must be a number in [0, 1]. "
            f"Got {test_fraction!r} instead."
        )
    rng = _as_rng(seed, caller, allow_random=False)
    sampler = _negative_sampler(negatives, caller)
    true = [_walk(rng) for _ in range(n // 2)]
    false = [sampler(rng) for _ in range(n // 2)]
    n_test = math.floor(n * test_fraction + 0.5)
    test_true = n_test // 2
    test_false = n_test - test_true
    # Draws are i.i.d., so the first rows of each class are already a random subset.
    test = [(s, True) for s in true[:test_true]] + [(s, False) for s in false[:test_false]]
    train = [(s, True) for s in true[test_true:]] + [(s, False) for s in false[test_false:]]
    rng.shuffle(train)
    rng.shuffle(test)
    return ReberDataset(_frame(train), _frame(test), seed=int(seed), negatives=negatives)


def encode(strings: Iterable[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids of ``strings``, padded to the longest, for the sequence models.

    Ids follow :data:`VOCAB` (``B=1 … E=7``), padding is :data:`PAD_ID` (0).

    Returns
    -------
    padded:
        ``(batch, max_length)`` int64 tensor.
    lengths:
        ``(batch,)`` int64 tensor of string lengths (for ``pack_padded_sequence``).

    Raises
    ------
    ValueError
        If a string is empty or holds a symbol outside :data:`ALPHABET`; names the string.
    TypeError
        If ``strings`` is a single ``str`` or holds something else than strings.
    """
    if isinstance(strings, str):
        raise TypeError("encode expects a sequence of strings, not a single str.")
    strings = strings.to_list() if isinstance(strings, pl.Series) else list(strings)
    bad = next((i for i, s in enumerate(strings) if not isinstance(s, str)), None)
    if bad is not None:
        raise TypeError(f"encode expects strings; strings[{bad}] is {strings[bad]!r}.")
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    if len(strings) == 0:
        return torch.zeros((0, 0), dtype=torch.long), torch.zeros(0, dtype=torch.long)
    if (lengths == 0).any():
        i = int(np.argmin(lengths))
        raise ValueError(f"encode cannot encode an empty string (strings[{i}]).")
    # One buffer for all symbols: (total,) bytes -> (total,) ids, -1 for unknown symbols.
    joined = "".join(strings)
    raw = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    ids = _LOOKUP[np.minimum(raw, len(_LOOKUP) - 1)]
    if (ids < 0).any():
        pos = int(np.argmax(ids < 0))
        i = int(np.searchsorted(np.cumsum(lengths), pos, side="right"))
        raise ValueError(
            f"encode: strings[{i}] = {strings[i]!r} holds {joined[pos]!r}, which is not a "
            f"Reber symbol ({', '.join(ALPHABET)})."
        )
    batch, width = len(strings), int(lengths.max())
    starts = np.cumsum(lengths) - lengths
    rows = np.repeat(np.arange(batch), lengths)
    cols = np.arange(len(raw)) - np.repeat(starts, lengths)
    padded = np.full((batch, width), PAD_ID, dtype=np.int64)
    padded[rows, cols] = ids
    return torch.from_numpy(padded), torch.from_numpy(lengths)


@dataclass(frozen=True)
class ReberCheck:
    """How far a labelled frame agrees with the acceptor.

    Attributes
    ----------
    total, agreed:
        Rows, and rows whose ``valid`` label equals :func:`is_reber` of their string.
    disagreements:
        Frame with ``row`` (1-based data row, header not counted), ``string``, ``valid``
        (the label given) and ``accepted`` (the acceptor's answer), in row order.
    """

    total: int
    agreed: int
    disagreements: pl.DataFrame

    @property
    def fraction(self) -> float:
        """``agreed / total`` (1.0 for an empty frame: nothing disagrees)."""
        return self.agreed / self.total if self.total else 1.0


def check_reber_labels(frame: pl.DataFrame) -> ReberCheck:
    """Compare the ``valid`` labels of ``frame`` with :func:`is_reber`.

    Raises
    ------
    ValueError
        If ``frame`` lacks the ``string`` or ``valid`` column.
    """
    _check_columns(frame, "check_reber_labels")
    accepted = [isinstance(s, str) and is_reber(s) for s in frame["string"].to_list()]
    checked = frame.select(
        pl.int_range(1, pl.len() + 1).alias("row"),
        "string",
        pl.col("valid").cast(pl.Boolean),
    ).with_columns(accepted=pl.Series(accepted, dtype=pl.Boolean))
    disagreements = checked.filter(pl.col("valid") != pl.col("accepted"))
    return ReberCheck(frame.height, frame.height - disagreements.height, disagreements)


def load_reber_csv(path: str | Path) -> pl.DataFrame:
    """Read a CSV of ``string,valid`` rows (other columns are dropped).

    Labels may be ``true``/``false`` (any case) or ``1``/``0``, surrounding spaces allowed.
    Strings must be non-empty and use only :data:`ALPHABET` symbols (grammatical or not).

    Returns
    -------
    polars.DataFrame
        Columns ``string`` (str) and ``valid`` (bool), in file order.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it cannot be parsed, lacks a column, or has a bad label or string; the message
        names the file, and the row (1-based, header not counted) and value at fault.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Reber CSV file {str(path)!r} does not exist.")
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except pl.exceptions.NoDataError:
        raise ValueError(f"Reber CSV file {str(path)!r} is empty (no header row).") from None
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise ValueError(f"Could not read Reber CSV file {str(path)!r}: {exc}") from exc
    _check_columns(frame, "load_reber_csv", where=f"Reber CSV file {str(path)!r}")
    labels = pl.col("valid").str.strip_chars().str.to_lowercase()
    frame = frame.select(
        pl.int_range(1, pl.len() + 1).alias("row"),
        "string",
        pl.col("valid").alias("label"),
        labels.replace_strict(_LABELS, default=None, return_dtype=pl.Boolean).alias("valid"),
    )
    bad = frame.filter(pl.col("valid").is_null())
    if bad.height:
        row, label = bad.row(0, named=True)["row"], bad.row(0, named=True)["label"]
        raise ValueError(
            f"Reber CSV file {str(path)!r}: column 'valid' must hold true/false or 1/0; "
            f"row {row} has {_shown(label)} ({bad.height} bad label(s) in all)."
        )
    pattern = f"^[{ALPHABET}]+$"
    bad = frame.filter(~pl.col("string").fill_null("").str.contains(pattern))
    if bad.height:
        row, string = bad.row(0, named=True)["row"], bad.row(0, named=True)["string"]
        raise ValueError(
            f"Reber CSV file {str(path)!r}: column 'string' must hold non-empty strings over "
            f"{ALPHABET}; row {row} has {_shown(string)} ({bad.height} bad string(s) in all)."
        )
    return frame.select("string", "valid")


def save_reber_csv(data: pl.DataFrame | Iterable[tuple[str, bool]], path: str | Path) -> Path:
    """Write labelled sequences as a ``string,valid`` CSV (labels ``true``/``false``).

    Parameters
    ----------
    data:
        Frame with ``string`` and ``valid`` columns (others are dropped), or
        ``(string, label)`` pairs.
    path:
        Target file; parent folders are created.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        If ``data`` lacks a column or its labels are not booleans.
    """
    if isinstance(data, pl.DataFrame):
        frame = data
    else:
        pairs = list(data)
        bad = next((p for p in pairs if not isinstance(p[1], bool | np.bool_)), None)
        if bad is not None:
            raise ValueError(
                f"The labels given to save_reber_csv must be booleans. Got {bad!r} instead."
            )
        frame = _frame(pairs)
    _check_columns(frame, "save_reber_csv")
    if frame.schema["valid"] != pl.Boolean:
        raise ValueError(
            "The 'valid' column given to save_reber_csv must be boolean. "
            f"Got dtype {frame.schema['valid']} instead."
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.select(pl.col("string").cast(pl.String), "valid").write_csv(path)
    return path


# ---------------------------------------------------------------------------------------------
# Private helpers

# Transitions as tuples for sampling: state -> ((symbol, next), ...).
_CHOICES: dict[int, tuple[tuple[str, int], ...]] = {
    state: tuple(moves.items()) for state, moves in _TRANSITIONS.items()
}
# Unicode code point -> token id (-1 for anything else); the last slot catches larger points.
_LOOKUP = np.full(129, -1, dtype=np.int64)
for _symbol, _id in VOCAB.items():
    _LOOKUP[ord(_symbol)] = _id
_LABELS = {"true": True, "1": True, "false": False, "0": False}


def _walk(rng: random.Random) -> str:
    """One true sequence: a uniform random walk from the start to the accepting state."""
    state, out = _START, []
    while state != _ACCEPT:
        moves = _CHOICES[state]
        symbol, state = moves[0] if len(moves) == 1 else moves[rng.random() < 0.5]
        out.append(symbol)
    return "".join(out)


@functools.cache
def _paths(state: int, length: int) -> int:
    """Number of symbol strings of ``length`` leading from ``state`` to acceptance."""
    if length == 0:
        return int(state == _ACCEPT)
    return sum(_paths(nxt, length - 1) for _, nxt in _CHOICES.get(state, ()))


def _sample_of_length(length: int, rng: random.Random) -> str:
    """A true sequence of exactly ``length`` symbols, uniform among all of them.

    Each true sequence of length L has walk probability 2**-(L-2), so this is also the
    walk's distribution conditioned on the length.
    """
    state, out = _START, []
    for remaining in range(length, 0, -1):
        r = rng.randrange(_paths(state, remaining))
        for move in _CHOICES[state]:
            r -= _paths(move[1], remaining - 1)
            if r < 0:
                break
        out.append(move[0])
        state = move[1]
    return "".join(out)


def _near_miss(rng: random.Random) -> str:
    """A one-edit near miss whose length is drawn from the true-length distribution."""
    target = len(_walk(rng))
    # Inserting needs a true sequence one shorter, which exists only above the minimum.
    kinds = ("substitute", "insert", "delete") if target > _MIN_LENGTH else ("substitute", "delete")
    while True:
        kind = rng.choice(kinds)
        if kind == "substitute":
            base = _sample_of_length(target, rng)
            i = rng.randrange(1, target - 1)
            symbol = rng.choice([c for c in _INTERIOR if c != base[i]])
            candidate = base[:i] + symbol + base[i + 1 :]
        elif kind == "insert":
            base = _sample_of_length(target - 1, rng)
            i = rng.randrange(1, target - 1)  # between B and E, E included
            candidate = base[:i] + rng.choice(_INTERIOR) + base[i:]
        else:
            base = _sample_of_length(target + 1, rng)
            i = rng.randrange(1, target)  # an interior symbol
            candidate = base[:i] + base[i + 1 :]
        if not is_reber(candidate):
            return candidate


def _random_negative(rng: random.Random) -> str:
    """``B`` + random interior symbols + ``E``, with a true-sequence length, not in grammar."""
    target = len(_walk(rng))
    while True:
        candidate = "B" + "".join(rng.choices(_INTERIOR, k=target - 2)) + "E"
        if not is_reber(candidate):
            return candidate


_NEGATIVES: dict[str, Callable[[random.Random], str]] = {
    "near-miss": _near_miss,
    "random": _random_negative,
}
NEGATIVE_KINDS: tuple[str, ...] = tuple(_NEGATIVES)
"""Valid values of the ``negatives`` parameter."""


def _negative_sampler(negatives: Any, caller: str) -> Callable[[random.Random], str]:
    try:
        return _NEGATIVES[negatives]
    except (KeyError, TypeError):
        raise ValueError(
            f"The 'negatives' parameter of {caller} must be one of {list(NEGATIVE_KINDS)}. "
            f"Got {negatives!r} instead."
        ) from None


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_positive(value: Any, name: str, caller: str, *, even: bool = False) -> None:
    if not _is_int(value) or value < 1 or (even and value % 2):
        what = "a positive integer"
        if even:
            what = "a positive even integer (the classes are balanced exactly)"
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


def _check_columns(frame: Any, caller: str, *, where: str | None = None) -> None:
    if not isinstance(frame, pl.DataFrame):
        raise ValueError(f"{caller} expects a polars DataFrame; got {type(frame).__name__}.")
    missing = [c for c in ("string", "valid") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{where or f'The frame given to {caller}'} is missing column(s) {missing}: "
            f"expected 'string' and 'valid', found {frame.columns}."
        )


def _shown(value: str | None) -> str:
    return "an empty value" if value is None else repr(value)


def _frame(rows: Sequence[tuple[str, bool]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"string": [s for s, _ in rows], "valid": [bool(v) for _, v in rows]},
        schema={"string": pl.String, "valid": pl.Boolean},
    )
