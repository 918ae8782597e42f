"""Labelled Reber files: read, write, check against the acceptor, split, fingerprint.

The layout is a CSV with a ``string`` and a ``valid`` column (labels ``true``/``false`` or
``1``/``0``) and, optionally, a ``split`` column (``train``/``test``) that fixes which rows
are for training. Strings may hold any printable ASCII character except lowercase letters:
the paper's published files use capital letters outside the Reber alphabet for 7,000 of
their negatives (``BCILHJJJJILGE``), which are simply not in the grammar, while a lowercase
``btxse`` is a mistake (the grammar's symbols are capitals) and is refused.

Example
-------
>>> frame = pl.DataFrame({"string": ["BTXSE", "BCILHJJJJILGE", "BTTXSE"],
...                       "valid": [True, False, True]})
>>> check = check_reber_labels(frame)
>>> check.agreed, check.total, check.disagreements["row"].to_list()
(2, 3, [3])
>>> train, test = split_reber_frame(frame, seed=0, test_fraction=0.5)
>>> sorted(train["string"].to_list() + test["string"].to_list()) == sorted(frame["string"])
True
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ingest.reber import ALPHABET, is_reber

__all__ = [
    "SPLITS",
    "ReberCheck",
    "check_reber_labels",
    "load_reber_csv",
    "reber_rows_digest",
    "save_reber_csv",
    "split_reber_frame",
]

SPLITS = ("train", "test")
"""Values of the optional ``split`` column."""


@dataclass(frozen=True)
class ReberCheck:
    """How far a labelled frame agrees with the acceptor.

    Attributes
    ----------
    total, agreed:
        Rows, and rows whose ``valid`` label equals :func:`~ingest.reber.is_reber` of their
        string.
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
    """Compare the ``valid`` labels of ``frame`` with :func:`~ingest.reber.is_reber`.

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
    """Read a CSV of ``string,valid`` rows, and its ``split`` column if it has one.

    Labels may be ``true``/``false`` (any case) or ``1``/``0``, surrounding spaces allowed;
    split values ``train``/``test`` likewise. Strings must be non-empty printable ASCII
    without lowercase letters (grammatical or not); other columns are dropped.

    Returns
    -------
    polars.DataFrame
        Columns ``string`` (str), ``valid`` (bool) and, if the file has it, ``split``
        (``"train"``/``"test"``), in file order.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it cannot be parsed, lacks a column, or has a bad label, string or split; the
        message names the file, the column, and the row (1-based, header not counted) and
        value at fault.
    """
    path = Path(path)
    where = f"Reber CSV file {str(path)!r}"
    if not path.is_file():
        raise FileNotFoundError(f"{where} does not exist.")
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except pl.exceptions.NoDataError:
        raise ValueError(f"{where} is empty (no header row).") from None
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise ValueError(f"Could not read {where}: {exc}") from exc
    _check_columns(frame, "load_reber_csv", where=where)
    has_split = "split" in frame.columns
    columns = [
        pl.int_range(1, pl.len() + 1).alias("row"),
        "string",
        pl.col("valid").alias("label"),
        _parsed("valid", _LABELS, pl.Boolean),
    ]
    if has_split:
        columns += [pl.col("split").alias("split_given"), _parsed("split", _SPLIT_VALUES)]
    frame = frame.select(columns)
    _refuse(frame, pl.col("valid").is_null(), "label", where,
            "column 'valid' must hold true/false or 1/0", "bad label(s)")  # fmt: skip
    string = pl.col("string")
    _refuse(frame, string.fill_null("") == "", "string", where,
            "column 'string' must hold non-empty strings", "empty string(s)")  # fmt: skip
    _refuse(frame, string.str.contains("[a-z]"), "string", where,
            "column 'string' must not hold lowercase letters (the Reber symbols are "
            f"capitals: {ALPHABET})", "string(s) with lowercase")  # fmt: skip
    _refuse(frame, string.str.contains(r"[^\x20-\x7E]"), "string", where,
            "column 'string' must hold printable ASCII characters only",
            "string(s) with other characters")  # fmt: skip
    if has_split:
        _refuse(frame, pl.col("split").is_null(), "split_given", where,
                "column 'split' must hold train or test", "bad split value(s)")  # fmt: skip
    return frame.select("string", "valid", *(["split"] if has_split else []))


def save_reber_csv(data: pl.DataFrame | Iterable[tuple[str, bool]], path: str | Path) -> Path:
    """Write labelled sequences as a ``string,valid`` CSV (labels ``true``/``false``).

    Parameters
    ----------
    data:
        Frame with ``string`` and ``valid`` columns (and ``split``, which is kept; others
        are dropped), or ``(string, label)`` pairs.
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
        frame = pl.DataFrame(
            {"string": [s for s, _ in pairs], "valid": [bool(v) for _, v in pairs]},
            schema={"string": pl.String, "valid": pl.Boolean},
        )
    _check_columns(frame, "save_reber_csv")
    if frame.schema["valid"] != pl.Boolean:
        raise ValueError(
            "The 'valid' column given to save_reber_csv must be boolean. "
            f"Got dtype {frame.schema['valid']} instead."
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = ["split"] if "split" in frame.columns else []
    frame.select(pl.col("string").cast(pl.String), "valid", *extra).write_csv(path)
    return path


def split_reber_frame(
    frame: pl.DataFrame, *, seed: int, test_fraction: float = 0.25
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Train and test rows of a labelled frame: its own ``split`` column, or a seeded split.

    Without a ``split`` column, the distinct strings of each label (a string's label is
    that of its first row) are shuffled with ``seed`` and ``count * test_fraction`` of them
    (rounded half up) go to test, with all their rows: a string that occurs twice never
    lands on both sides, so test accuracy is not measured on training strings.

    Returns
    -------
    (train, test):
        Frames with columns ``string`` and ``valid``, rows in their original order.

    Raises
    ------
    ValueError
        If ``frame`` lacks a column, ``test_fraction`` is not in (0, 1), or a side would be
        empty.
    """
    caller = "split_reber_frame"
    _check_columns(frame, caller)
    if "split" in frame.columns:
        is_test = frame["split"] == "test"
        how = "its 'split' column"
    else:
        ok = isinstance(test_fraction, float | int) and not isinstance(test_fraction, bool)
        if not ok or not 0.0 < test_fraction < 1.0 or math.isnan(test_fraction):
            raise ValueError(
                f"The 'test_fraction' parameter of {caller} must be a number in (0, 1). "
                f"Got {test_fraction!r} instead."
            )
        distinct = frame.unique("string", keep="first", maintain_order=True)
        rng = random.Random(seed)
        test_strings: list[str] = []
        for label in (True, False):
            strings = distinct.filter(pl.col("valid") == label)["string"].to_list()
            rng.shuffle(strings)
            test_strings += strings[: int(len(strings) * test_fraction + 0.5)]
        is_test = frame["string"].is_in(test_strings)
        how = f"a {1 - test_fraction:.0%}/{test_fraction:.0%} split"
    train = frame.filter(~is_test).select("string", "valid")
    test = frame.filter(is_test).select("string", "valid")
    if not train.height or not test.height:
        raise ValueError(
            f"{caller}: {how} of {frame.height} row(s) leaves {train.height} for training "
            f"and {test.height} for testing; both need at least one."
        )
    return train, test


def reber_rows_digest(frame: pl.DataFrame) -> str:
    """SHA-256 (hex) of a labelled frame's rows: strings, labels, split, in order.

    The hashed text is one line ``string<TAB>0|1<TAB>split`` per row (split empty when the
    frame has none).

    Two files with the same rows have the same digest however their labels are spelt
    (``1`` or ``true``); any changed, added, removed or reordered row changes it.
    """
    _check_columns(frame, "reber_rows_digest")
    split = frame["split"] if "split" in frame.columns else pl.repeat("", frame.height, eager=True)
    digest = hashlib.sha256()
    for string, valid, part in zip(frame["string"], frame["valid"], split, strict=True):
        digest.update(f"{string}\t{int(valid)}\t{part}\n".encode())
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Private helpers

_LABELS = {"true": True, "1": True, "false": False, "0": False}
_SPLIT_VALUES = {name: name for name in SPLITS}


def _parsed(column: str, values: dict[str, Any], dtype: Any = pl.String) -> pl.Expr:
    """``column`` stripped and lowercased, mapped through ``values`` (null when unknown)."""
    cleaned = pl.col(column).str.strip_chars().str.to_lowercase()
    return cleaned.replace_strict(values, default=None, return_dtype=dtype).alias(column)


def _refuse(
    frame: pl.DataFrame, bad: pl.Expr, shown: str, where: str, rule: str, what: str
) -> None:
    """Raise naming the first row where ``bad`` holds, its ``shown`` value and the count."""
    rows = frame.filter(bad.fill_null(False))
    if rows.height:
        first = rows.row(0, named=True)
        raise ValueError(
            f"{where}: {rule}; row {first['row']} has {_shown(first[shown])} "
            f"({rows.height} {what} in all)."
        )


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
    return "an empty value" if value is None or value == "" else repr(value)
