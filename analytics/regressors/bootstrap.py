"""Percentile bootstrap confidence intervals for the cross-validated scores of one regressor.

What is resampled: the *evaluation rows*. Each resample draws ``n`` rows with replacement
(seeded); every drawn row keeps its out-of-fold prediction of each repeat and its fold. The
statistic of a resample is the same as the point estimate's, computed on the drawn rows:

* ``cv_r2``: R² within each (repeat, fold) on the drawn rows of that fold, averaged — the
  resampled counterpart of ``cv_r2_mean``;
* ``kendall_tau``, ``spearman_pred``, ``precision_at_10pct``: the metric of each repeat's
  out-of-fold predictions on the drawn rows, averaged over repeats.

The models are not refitted, so the intervals show how much the scores depend on which
networks were evaluated, not the variance of refitting — they are narrower than a full
refit bootstrap would be, and cheap. The interval is the ``(1 - confidence) / 2`` and
``(1 + confidence) / 2`` percentiles of the resampled statistics (resamples where a statistic
is undefined, e.g. a fold whose drawn rows have a constant target, are left out).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from analytics.regressors.rank_metrics import RANK_METRICS, kendall_tau, precision_at_top

__all__ = ["BOOTSTRAP_STATISTICS", "bootstrap_intervals"]

# Statistics with an interval; the score table names the bounds STAT_low and STAT_high.
BOOTSTRAP_STATISTICS = ("cv_r2", *RANK_METRICS)


def bootstrap_intervals(
    y: np.ndarray,
    out_of_fold: np.ndarray,
    folds: np.ndarray,
    *,
    n_resamples: int,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, tuple[float, float]]:
    """``{statistic: (low, high)}`` for every one of :data:`BOOTSTRAP_STATISTICS`.

    Parameters
    ----------
    y:
        True target, shape ``(rows,)``.
    out_of_fold:
        Out-of-fold predictions, shape ``(repeats, rows)``.
    folds:
        The fold (0..K-1) that held out each row in each repeat, shape ``(repeats, rows)``.
    n_resamples:
        Bootstrap resamples (>= 1).
    seed:
        Seed of the resampling.
    confidence:
        Coverage of the interval, in (0, 1).
    """
    if n_resamples < 1:
        raise ValueError(
            f"The 'n_resamples' parameter of bootstrap_intervals must be >= 1. Got {n_resamples}."
        )
    if not 0 < confidence < 1:
        raise ValueError(
            f"The 'confidence' parameter of bootstrap_intervals must be in (0, 1). "
            f"Got {confidence!r}."
        )
    n = y.size
    draws = np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))
    counts = np.stack([np.bincount(row, minlength=n) for row in draws]).astype(np.float64)
    resampled = {
        "cv_r2": _fold_r2(y, out_of_fold, folds, counts),
        "kendall_tau": _per_repeat(draws, y, out_of_fold, kendall_tau),
        "spearman_pred": _spearman(draws, y, out_of_fold),
        "precision_at_10pct": _per_repeat(
            draws, y, out_of_fold, lambda a, b: precision_at_top(a, b, fraction=0.1)
        ),
    }
    tail = 100 * (1 - confidence) / 2
    intervals = {}
    for name, values in resampled.items():
        values = values[np.isfinite(values)]
        if values.size == 0:
            intervals[name] = (float("nan"), float("nan"))
        else:
            low, high = np.percentile(values, [tail, 100 - tail])
            intervals[name] = (float(low), float(high))
    return intervals


def _fold_r2(y, out_of_fold, folds, counts) -> np.ndarray:
    """Mean over (repeat, fold) of R² on the drawn rows, weighted by draw counts: (resamples,)."""
    scores = []
    for predicted, fold_of in zip(out_of_fold, folds, strict=True):
        for fold in np.unique(fold_of):
            member = fold_of == fold
            weights = counts[:, member]  # (resamples, rows of the fold)
            truth, residual = y[member], (y[member] - predicted[member]) ** 2
            total = weights.sum(axis=1)
            mean = weights @ truth / np.where(total > 0, total, 1)
            spread = weights @ truth**2 - total * mean**2
            with np.errstate(divide="ignore", invalid="ignore"):
                r2 = 1 - (weights @ residual) / spread
            r2[(total < 2) | (spread <= 1e-12 * np.maximum(1, weights @ truth**2))] = np.nan
            scores.append(r2)
    return np.mean(scores, axis=0)


def _per_repeat(draws, y, out_of_fold, metric) -> np.ndarray:
    return np.array(
        [np.mean([metric(y[row], predicted[row]) for predicted in out_of_fold]) for row in draws]
    )


def _spearman(draws, y, out_of_fold) -> np.ndarray:
    """Spearman's ρ as Pearson's r of average ranks, all resamples at once: (resamples,)."""
    truth = stats.rankdata(y[draws], axis=1)
    values = []
    for predicted in out_of_fold:
        values.append(_row_pearson(truth, stats.rankdata(predicted[draws], axis=1)))
    return np.mean(values, axis=0)


def _row_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
