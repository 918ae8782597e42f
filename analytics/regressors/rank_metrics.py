"""How well predictions *rank* networks: the numbers architecture search judges predictors by.

A search keeps the candidates a predictor ranks highest, so beside R² (how close the predicted
values are) it matters whether the order is right. All three metrics compare the true target
``y`` with predictions ``predicted`` of the same rows (out-of-fold predictions, in
:func:`analytics.regressors.evaluate_regressors`):

* :func:`kendall_tau` — Kendall's τ-b (ties counted as neither concordant nor discordant);
* :func:`spearman_pred` — Spearman's ρ between truth and prediction (average ranks for ties);
  named so as not to clash with ``spearman_rho``, the feature–target correlation of
  :mod:`analytics.correlation`;
* :func:`precision_at_top` — of the rows whose true target is in the top fraction, the share
  that the predictions also put in their top fraction.

Example
-------
>>> y = [1.0, 2.0, 3.0, 4.0]
>>> predicted = [1.0, 3.0, 2.0, 4.0]  # one swapped pair of six
>>> round(kendall_tau(y, predicted), 4), round(spearman_pred(y, predicted), 4)
(0.6667, 0.8)
>>> precision_at_top(y, predicted, fraction=0.5)  # top 2: truth {4, 3}, predicted {4, 2}
0.5
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

__all__ = ["RANK_METRICS", "kendall_tau", "precision_at_top", "rank_metrics", "spearman_pred"]

# Output keys of rank_metrics(), in the order the score tables show them.
RANK_METRICS = ("kendall_tau", "spearman_pred", "precision_at_10pct")


def kendall_tau(y: Sequence[float], predicted: Sequence[float]) -> float:
    """Kendall's τ-b of ``predicted`` against ``y``; NaN when either is constant."""
    y, predicted = _pair(y, predicted)
    if np.ptp(y) == 0 or np.ptp(predicted) == 0:
        return math.nan
    from scipy import stats  # here: importing the package stays light (scipy.stats: 0.5 s)

    return float(stats.kendalltau(y, predicted).statistic)


def spearman_pred(y: Sequence[float], predicted: Sequence[float]) -> float:
    """Spearman's ρ of ``predicted`` against ``y``; NaN when either is constant."""
    y, predicted = _pair(y, predicted)
    if np.ptp(y) == 0 or np.ptp(predicted) == 0:
        return math.nan
    from scipy import stats

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        return float(stats.spearmanr(y, predicted).statistic)


def precision_at_top(
    y: Sequence[float], predicted: Sequence[float], *, fraction: float = 0.1
) -> float:
    """Share of the true top-``fraction`` rows that the predictions also rank in their top.

    With ``k = ceil(fraction * n)`` (at least 1), the true top set holds the ``k`` rows with the
    largest ``y`` and the predicted top set the ``k`` rows with the largest ``predicted``;
    the result is ``|true top ∩ predicted top| / k``, in [0, 1] (1: the predictor finds every
    one of the best rows; ``fraction`` on average for a random order). "Top" means *largest*:
    for a target where smaller is better (a loss), negate it first. Ties are broken by row
    order (the earlier row ranks higher), so the result is deterministic.

    Raises
    ------
    ValueError
        ``fraction`` is not in (0, 1].
    """
    if not 0 < fraction <= 1:
        raise ValueError(
            f"The 'fraction' parameter of precision_at_top must be in (0, 1]. Got {fraction!r}."
        )
    y, predicted = _pair(y, predicted)
    k = max(1, math.ceil(fraction * y.size - 1e-9))  # 1e-9: 0.1 * 20 is 2.0000000000000004
    true_top = np.argsort(-y, kind="stable")[:k]
    predicted_top = np.argsort(-predicted, kind="stable")[:k]
    return float(np.intersect1d(true_top, predicted_top).size / k)


def rank_metrics(y: Sequence[float], predicted: Sequence[float]) -> dict[str, float]:
    """All of :data:`RANK_METRICS` for one set of predictions."""
    return {
        "kendall_tau": kendall_tau(y, predicted),
        "spearman_pred": spearman_pred(y, predicted),
        "precision_at_10pct": precision_at_top(y, predicted, fraction=0.1),
    }


def _pair(y: Sequence[float], predicted: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    if y.shape != predicted.shape or y.ndim != 1 or y.size < 2:
        raise ValueError(
            f"y and predicted must be 1-d of the same length >= 2; got shapes {y.shape} and "
            f"{predicted.shape}."
        )
    return y, predicted
