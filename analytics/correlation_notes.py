"""Honest correlation tables: why a coefficient is missing, and which ones are significant.

:func:`analytics.correlation.correlation_table` leaves a coefficient NaN when it is undefined;
a blank cell then looks like a bug. :func:`annotate_correlations` says why (fewer than 3
networks, a feature or target constant in the group), marks coefficients whose
Benjamini–Hochberg adjusted p-value is below ``alpha``, and drops groups in which no network has
the target (n = 0 for every feature), so they are not listed as if they had been measured.

Example
-------
>>> import polars as pl
>>> from analytics.correlation import correlation_table
>>> frame = pl.DataFrame({"x": [1.0, 2, 3, 4], "c": [1.0] * 4, "y": [2.0, 4, 5, 9]})
>>> table = correlation_table(frame, target="y", features=["x", "c"])
>>> annotate_correlations(table, frame, target="y")["note"].to_list()
['', 'constant in this group']
"""

from __future__ import annotations

import polars as pl

__all__ = ["SIGNIFICANCE_LEVEL", "annotate_correlations"]

# Adjusted p-values below this are marked significant.
SIGNIFICANCE_LEVEL = 0.05

_ALL = "all"  # correlation_table's group name without grouping


def annotate_correlations(
    table: pl.DataFrame,
    frame: pl.DataFrame,
    *,
    target: str,
    by: str | None = None,
    alpha: float = SIGNIFICANCE_LEVEL,
) -> pl.DataFrame:
    """``table`` without empty groups, plus ``note`` and per-method ``*_significant`` columns.

    Parameters
    ----------
    table:
        A :func:`~analytics.correlation.correlation_table` of ``frame``.
    frame, target, by:
        What the table was computed from.
    alpha:
        Significance level for the adjusted p-values, in (0, 1).

    Returns
    -------
    polars.DataFrame
        ``table``'s rows of groups with at least one network, in order, with ``note`` ("" when
        the coefficient is defined) and ``pearson_significant`` / ``spearman_significant``.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"The 'alpha' parameter of annotate_correlations must be in (0, 1); "
                         f"got {alpha!r}.")  # fmt: skip
    measured = table.group_by("group").agg(pl.col("n").max().alias("most"))
    keep = measured.filter(pl.col("most") > 0)["group"].to_list()
    table = table.filter(pl.col("group").is_in(keep))
    notes = []
    groups = _groups(frame, by)
    for group, feature, n in table.select("group", "feature", "n").iter_rows():
        notes.append(_note(groups[group], feature, target, n))
    return table.with_columns(
        note=pl.Series(notes, dtype=pl.String),
        pearson_significant=pl.col("pearson_p_adj").fill_nan(None).lt(alpha).fill_null(False),
        spearman_significant=pl.col("spearman_p_adj").fill_nan(None).lt(alpha).fill_null(False),
    )


def _groups(frame: pl.DataFrame, by: str | None) -> dict[str, pl.DataFrame]:
    if by is None:
        return {_ALL: frame}
    column = pl.col(by).cast(pl.String).fill_null("None")
    return {
        key[0]: part.drop("_group")
        for key, part in frame.with_columns(column.alias("_group")).group_by("_group")
    }


def _note(part: pl.DataFrame, feature: str, target: str, n: int) -> str:
    both = part.select(pl.col(feature).cast(pl.Float64).alias("x"),
                       pl.col(target).cast(pl.Float64).alias("y"))  # fmt: skip
    both = both.filter(pl.col("x").is_finite() & pl.col("y").is_finite())
    if n == 0:
        return "no network has both values"
    if n < 3:
        return f"only {n} network{'s' if n > 1 else ''} (need 3)"
    if both["x"].n_unique() == 1:
        return "constant in this group"
    if both["y"].n_unique() == 1:
        return "target constant in this group"
    return ""
