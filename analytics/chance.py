"""Runs stuck at chance: networks whose accuracy is no better than guessing.

A binary task (the Reber grammar: is this string grammatical?) has a chance accuracy of 0.5. A
network whose final accuracy stays within :data:`CHANCE_TOLERANCE` of it did not learn; pooled
with the others, such runs drag correlations towards whatever they share (often their size).

Example
-------
>>> import polars as pl
>>> at_chance(pl.DataFrame({"test_acc": [0.49, 0.8, 0.515]}), target="test_acc").to_list()
[True, False, True]
"""

from __future__ import annotations

import polars as pl

__all__ = ["CHANCE_ACCURACY", "CHANCE_TOLERANCE", "at_chance", "chance_rule"]

CHANCE_ACCURACY = 0.5  # a binary task
CHANCE_TOLERANCE = 0.02


def chance_rule(target: str) -> str:
    """The rule :func:`at_chance` applies, in words (for captions)."""
    return f"|{target} − {CHANCE_ACCURACY}| ≤ {CHANCE_TOLERANCE} (chance for a binary task)"


def at_chance(frame: pl.DataFrame, *, target: str) -> pl.Series:
    """Per row of ``frame``: is ``target`` an accuracy within the tolerance of chance?

    Only accuracy columns (names holding ``acc``) can be at chance; for any other target every
    row is ``False``. Missing values are ``False``.
    """
    if target not in frame.columns:
        raise KeyError(f"Unknown target {target!r}; columns: {frame.columns}.")
    if "acc" not in target:
        return pl.Series("at_chance", [False] * frame.height, dtype=pl.Boolean)
    value = frame.get_column(target).cast(pl.Float64)
    near = (value - CHANCE_ACCURACY).abs() <= CHANCE_TOLERANCE + 1e-12  # NaN compares False
    return near.fill_null(False).alias("at_chance")
