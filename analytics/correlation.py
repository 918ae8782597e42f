"""Correlation of every structural feature with a performance target, per group.

For each group (e.g. cell type) and feature: Pearson r and Spearman ρ with the target, their
two-sided p-values, and Benjamini–Hochberg adjusted p-values (adjusted over the features of one
group, per method). The paper's Table 1 is the Pearson column of this table.

Example
-------
>>> import polars as pl
>>> frame = pl.DataFrame({"x": [1.0, 2, 3, 4], "y": [2.0, 4, 5, 9]})
>>> table = correlation_table(frame, target="y", features=["x"])
>>> round(table["pearson_r"][0], 3)
0.965
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy import stats

__all__ = ["CORRELATION_METHODS", "correlation_table"]

# Methods the table reports; the CLI's --method picks the ones it prints.
CORRELATION_METHODS = ("pearson", "spearman")

_SCHEMA = {
    "group": pl.String,
    "feature": pl.String,
    "n": pl.Int64,
    "pearson_r": pl.Float64,
    "pearson_p": pl.Float64,
    "pearson_p_adj": pl.Float64,
    "spearman_rho": pl.Float64,
    "spearman_p": pl.Float64,
    "spearman_p_adj": pl.Float64,
}


def correlation_table(
    frame: pl.DataFrame,
    *,
    target: str,
    features: Sequence[str],
    by: str | None = None,
) -> pl.DataFrame:
    """Correlate each of ``features`` with ``target``, within each value of ``by``.

    Rows where the target or the feature is missing are left out pair by pair (``n`` says how
    many remained). A constant feature, or fewer than 3 pairs, gives NaN (no correlation is
    defined) and takes no part in the p-value adjustment.

    Parameters
    ----------
    frame:
        One row per network.
    target:
        Numeric column to correlate with (e.g. ``test_acc``).
    features:
        Numeric feature columns.
    by:
        Optional grouping column; ``group`` is ``"all"`` without it.

    Returns
    -------
    polars.DataFrame
        Columns ``group, feature, n, pearson_r, pearson_p, pearson_p_adj, spearman_rho,
        spearman_p, spearman_p_adj``, one row per group and feature, in feature order.

    Raises
    ------
    KeyError
        A named column is missing (the message lists the available ones).
    TypeError
        The target or a feature is not numeric.
    """
    _require_columns(frame, [target, *features, *([by] if by else [])])
    for column in [target, *features]:
        if not frame.schema[column].is_numeric():
            raise TypeError(
                f"Column {column!r} must be numeric to correlate; it is {frame.schema[column]}."
            )
    if by is None:
        groups = [("all", frame)]
    else:
        groups = [
            (str(key[0]), part)
            for key, part in sorted(
                frame.group_by(by, maintain_order=True), key=lambda kv: str(kv[0][0])
            )
        ]
    rows: list[dict] = []
    for group, part in groups:
        y = part.get_column(target).cast(pl.Float64).to_numpy()
        group_rows = [_correlate(group, name, part.get_column(name), y) for name in features]
        for p_column in ("pearson_p", "spearman_p"):
            _adjust(group_rows, p_column, f"{p_column}_adj")
        rows.extend(group_rows)
    return pl.DataFrame(rows, schema=_SCHEMA)


def _correlate(group: str, name: str, column: pl.Series, y: np.ndarray) -> dict:
    x = column.cast(pl.Float64).to_numpy()
    keep = np.isfinite(x) & np.isfinite(y)
    x, yk = x[keep], y[keep]
    row = {"group": group, "feature": name, "n": int(keep.sum())}
    nan = float("nan")
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(yk) == 0:
        row.update(pearson_r=nan, pearson_p=nan, spearman_rho=nan, spearman_p=nan)
        return row
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        pearson = stats.pearsonr(x, yk)
        spearman = stats.spearmanr(x, yk)
    row.update(
        pearson_r=float(pearson.statistic),
        pearson_p=float(pearson.pvalue),
        spearman_rho=float(spearman.statistic),
        spearman_p=float(spearman.pvalue),
    )
    return row


def _adjust(rows: list[dict], p_column: str, adjusted_column: str) -> None:
    """Benjamini–Hochberg over the rows with a defined p-value; NaN elsewhere."""
    defined = [i for i, row in enumerate(rows) if not math.isnan(row[p_column])]
    for row in rows:
        row[adjusted_column] = float("nan")
    if defined:
        adjusted = stats.false_discovery_control([rows[i][p_column] for i in defined], method="bh")
        for i, value in zip(defined, adjusted, strict=True):
            rows[i][adjusted_column] = float(value)


def _require_columns(frame: pl.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"Missing column(s) {missing}; available: {sorted(frame.columns)}.")
