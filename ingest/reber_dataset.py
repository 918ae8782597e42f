"""Labelled Reber data: balanced frames and the paper's train/test split, no string twice.

A frame has a ``string`` (str) and a ``valid`` (bool) column, which is also the CSV layout
(:mod:`ingest.reber_csv`). Both classes are drawn as length-matched pairs
(:func:`ingest.reber.generate_reber_pairs`): distinct true sequences, and one distinct false
sequence of each one's length, so every string occurs at most once — train and test never
share one — and length alone does not give the label away.

Example
-------
>>> data = make_reber_dataset(8, seed=0)
>>> data.train.height, data.test.height
(6, 2)
>>> strings = make_reber_frame(60, seed=0, min_length=11)["string"]
>>> strings.n_unique(), strings.str.len_chars().min() >= 11
(60, True)
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from ingest.reber import MIN_LENGTH, generate_reber_pairs

__all__ = ["ReberDataset", "make_reber_dataset", "make_reber_frame"]


def make_reber_frame(
    n: int,
    *,
    seed: int = 0,
    negatives: str = "near-miss",
    min_length: int = MIN_LENGTH,
    max_length: int | None = None,
) -> pl.DataFrame:
    """``n`` distinct labelled sequences, exactly half true, in random order.

    Parameters are those of :func:`make_reber_dataset` (without the split).

    Returns
    -------
    polars.DataFrame
        Columns ``string`` (str, every value distinct) and ``valid`` (bool).

    Raises
    ------
    ValueError
        If ``n`` is not a positive even integer, bad ``seed`` / ``negatives`` / lengths, or
        the grammar has fewer than ``n / 2`` true sequences of the allowed lengths.
    """
    true, false, rng = _pairs(n, seed, negatives, min_length, max_length, "make_reber_frame")
    rows = [(s, True) for s in true] + [(s, False) for s in false]
    rng.shuffle(rows)
    return _frame(rows)


@dataclass(frozen=True)
class ReberDataset:
    """The paper's Reber data set: balanced train and test frames sharing no string.

    Attributes
    ----------
    train, test:
        polars frames with columns ``string`` (str) and ``valid`` (bool), rows in random
        order. Each split is balanced (to within one row when its size is odd); no string
        occurs twice in or across them.
    seed:
        Seed the data set was drawn from.
    negatives:
        How the false sequences were made (see :func:`ingest.reber.generate_non_reber`).
    min_length, max_length:
        The allowed lengths (``max_length`` None: :data:`ingest.reber.MAX_LENGTH`).
    """

    train: pl.DataFrame
    test: pl.DataFrame
    seed: int
    negatives: str
    min_length: int = MIN_LENGTH
    max_length: int | None = None


def make_reber_dataset(
    n: int = 25000,
    *,
    seed: int = 0,
    negatives: str = "near-miss",
    test_fraction: float = 0.25,
    min_length: int = MIN_LENGTH,
    max_length: int | None = None,
) -> ReberDataset:
    """Draw ``n`` distinct sequences, exactly half true, split into train and test sets.

    The defaults are the paper's set-up: 25,000 sequences, 12,500 true, split 75/25 into
    18,750 training and 6,250 test sequences. The split is stratified: the test set holds
    ``n * test_fraction`` rows (rounded half up), half of them true (the extra row of an odd
    size is false). Every string occurs once, so train and test share none. The same
    arguments always give the same data set.

    Parameters
    ----------
    min_length, max_length:
        Allowed lengths; the defaults (5, the shortest true sequence, and None, no bound but
        :data:`ingest.reber.MAX_LENGTH`) restrict nothing. The paper's published data has
        lengths 11 to 53 (the ``paper`` preset of the priors study uses that range).

    Raises
    ------
    ValueError
        If ``n`` is not a positive even integer, ``test_fraction`` is outside ``[0, 1]``,
        ``seed`` / ``negatives`` / lengths are bad, or the grammar has fewer than ``n / 2``
        true sequences of the allowed lengths.
    """
    caller = "make_reber_dataset"
    real = isinstance(test_fraction, numbers.Real) and not isinstance(test_fraction, bool)
    if not real or not 0.0 <= test_fraction <= 1.0:
        raise ValueError(
            f"The 'test_fraction' parameter of {caller} must be a number in [0, 1]. "
            f"Got {test_fraction!r} instead."
        )
    true, false, rng = _pairs(n, seed, negatives, min_length, max_length, caller)
    n_test = int(n * test_fraction + 0.5)
    test_true = n_test // 2
    test_false = n_test - test_true
    # The pairs come in random order and false[i] has the length of true[i]: the first rows
    # of each class are a random subset with matching lengths.
    test = [(s, True) for s in true[:test_true]] + [(s, False) for s in false[:test_false]]
    train = [(s, True) for s in true[test_true:]] + [(s, False) for s in false[test_false:]]
    rng.shuffle(train)
    rng.shuffle(test)
    return ReberDataset(
        _frame(train), _frame(test), seed=int(seed), negatives=negatives,
        min_length=min_length, max_length=max_length,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Private helpers


def _pairs(
    n: Any, seed: Any, negatives: Any, min_length: Any, max_length: Any, caller: str
) -> tuple[list[str], list[str], random.Random]:
    """``n / 2`` length-matched (true, false) pairs, and the stream that drew them."""
    integral = isinstance(n, numbers.Integral) and not isinstance(n, bool)
    if not integral or n < 1 or n % 2:
        raise ValueError(
            f"The 'n' parameter of {caller} must be a positive even integer (the classes are "
            f"balanced exactly). Got {n!r} instead."
        )
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
        raise ValueError(f"The 'seed' parameter of {caller} must be an integer. Got {seed!r}.")
    rng = random.Random(int(seed))
    try:
        true, false = generate_reber_pairs(
            n // 2, seed=rng, negatives=negatives, min_length=min_length, max_length=max_length
        )
    except ValueError as exc:
        raise ValueError(f"{caller}(n={n}): {exc}") from exc
    return true, false, rng


def _frame(rows: Sequence[tuple[str, bool]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"string": [s for s, _ in rows], "valid": [bool(v) for _, v in rows]},
        schema={"string": pl.String, "valid": pl.Boolean},
    )
