"""Percentile bootstrap confidence intervals for the correlation of each feature with a target.

For each group and feature, the same pairs :func:`analytics.correlation.correlation_table`
correlates (rows with both values) are resampled with replacement — pairs stay together — and
Pearson's r (or Spearman's ρ: Pearson's r of the ranks) is recomputed on each resample by
:func:`scipy.stats.bootstrap` (``paired=True``, ``method="percentile"``, seeded). A feature
that is constant, or fewer than 3 pairs, has no interval (NaN), as it has no coefficient.

A resample that happens to draw a constant column has no coefficient either; such resamples
are left out of the percentiles (there are few unless ``n`` is tiny).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy import stats

from analytics.correlation import CORRELATION_METHODS

__all__ = ["correlation_intervals"]


def correlation_intervals(
    frame: pl.DataFrame,
    *,
    target: str,
    features: Sequence[str],
    by: str | None = None,
    method: str = "pearson",
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pl.DataFrame:
    """``group, feature, n, low, high``: a bootstrap interval of each feature's correlation.

    Parameters
    ----------
    method:
        ``"pearson"`` or ``"spearman"``.
    n_resamples:
        Bootstrap resamples (>= 10).
    confidence:
        Coverage of the interval, in (0, 1).
    seed:
        Seed of the resampling (the intervals are reproducible).

    Raises
    ------
    ValueError
        A bad ``method``, ``n_resamples`` or ``confidence``.
    KeyError
        A named column is missing.
    """
    if method not in CORRELATION_METHODS:
        raise ValueError(
            f"The 'method' parameter of correlation_intervals must be one of "
            f"{list(CORRELATION_METHODS)}. Got {method!r} instead."
        )
    if n_resamples < 10:
        raise ValueError(
            "The 'n_resamples' parameter of correlation_intervals must be >= 10. "
            f"Got {n_resamples}."
        )
    if not 0 < confidence < 1:
        raise ValueError(
            "The 'confidence' parameter of correlation_intervals must be in (0, 1). "
            f"Got {confidence!r}."
        )
    missing = [c for c in [target, *features, *([by] if by else [])] if c not in frame.columns]
    if missing:
        raise KeyError(f"Missing column(s) {missing}; available: {sorted(frame.columns)}.")
    rng = np.random.default_rng(seed)
    groups = (
        [("all", frame)]
        if by is None
        else sorted(
            ((str(key[0]), part) for key, part in frame.group_by(by, maintain_order=True)),
            key=lambda item: item[0],
        )
    )
    rows = []
    for group, part in groups:
        y = part.get_column(target).cast(pl.Float64).to_numpy()
        for feature in features:
            x = part.get_column(feature).cast(pl.Float64).to_numpy()
            keep = np.isfinite(x) & np.isfinite(y)
            low, high = _interval(x[keep], y[keep], method, n_resamples, confidence, rng)
            rows.append((group, feature, int(keep.sum()), low, high))
    schema = {"group": pl.String, "feature": pl.String, "n": pl.Int64,
              "low": pl.Float64, "high": pl.Float64}  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def _interval(x, y, method, n_resamples, confidence, rng) -> tuple[float, float]:
    nan = float("nan")
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return nan, nan
    statistic = _spearman if method == "spearman" else _pearson  # ranks within each resample
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore")  # degenerate resamples: NaN, left out below
        result = stats.bootstrap(
            (x, y), statistic, paired=True, vectorized=True, n_resamples=n_resamples,
            confidence_level=confidence, method="percentile", random_state=rng,
        )  # fmt: skip
    low, high = result.confidence_interval
    if not (np.isfinite(low) and np.isfinite(high)):  # some resamples were constant
        values = result.bootstrap_distribution[np.isfinite(result.bootstrap_distribution)]
        if values.size == 0:
            return nan, nan
        tail = 100 * (1 - confidence) / 2
        low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def _pearson(x, y, axis=-1):
    return stats.pearsonr(x, y, axis=axis).statistic


def _spearman(x, y, axis=-1):
    return _pearson(stats.rankdata(x, axis=axis), stats.rankdata(y, axis=axis), axis=axis)
