"""A predictor's learning curve: held-out quality against the number of training rows, with
bootstrap confidence intervals over seeded training draws.

For each training size, :func:`~analytics.regressors.train_size.train_size_draws` fits the
regressor on ``repeats`` seeded draws and scores the rows not drawn; each metric's mean over
the draws gets a 95% percentile-bootstrap interval (scipy.stats.bootstrap, resampling the
draws, seeded by ``seed``) — how much the answer depends on *which* architectures were
measured first, which is what a search controls least.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy import stats

from analytics.regressors.rank_metrics import RANK_METRICS
from analytics.regressors.train_size import train_size_draws

__all__ = ["CURVE_METRICS", "learning_curve"]

CURVE_METRICS = ("r2", *RANK_METRICS)


def learning_curve(
    frame: pl.DataFrame,
    *,
    target: str,
    features: Sequence[str],
    train_sizes: Sequence[int],
    regressor: str,
    repeats: int = 10,
    seed: int = 0,
    resamples: int = 10_000,
) -> pl.DataFrame:
    """One row per training size: ``train_size``, ``test_rows``, ``draws`` and for each of
    :data:`CURVE_METRICS` its mean over the draws with ``<metric>_low`` / ``<metric>_high``
    (a draw whose metric is undefined, e.g. τ of constant predictions, is left out of it).

    Raises as :func:`~analytics.regressors.train_size.train_size_draws` does.
    """
    rows = []
    n = frame.filter(pl.col(target).is_not_null() & pl.col(target).is_not_nan()).height
    for size in train_sizes:
        draws = train_size_draws(frame, target=target, features=features, train_size=size,
                                 regressor=regressor, repeats=repeats, seed=seed)  # fmt: skip
        row = {"train_size": size, "test_rows": n - size, "draws": draws.height}
        for metric in CURVE_METRICS:
            values = draws[metric].to_numpy()
            values = values[np.isfinite(values)]
            row[metric], row[f"{metric}_low"], row[f"{metric}_high"] = _interval(
                values, seed, resamples
            )
        rows.append(row)
    return pl.DataFrame(rows)


def _interval(values: np.ndarray, seed: int, resamples: int) -> tuple[float, float, float]:
    if values.size == 0:
        return np.nan, np.nan, np.nan
    mean = float(values.mean())
    if values.size == 1 or np.ptp(values) == 0:
        return mean, mean, mean
    result = stats.bootstrap((values,), np.mean, n_resamples=resamples, method="percentile",
                             random_state=np.random.default_rng(seed))  # fmt: skip
    return mean, float(result.confidence_interval.low), float(result.confidence_interval.high)
