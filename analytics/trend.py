"""A least-squares trend line through a scatter, with its Pearson r.

Example
-------
>>> trend = linear_trend([0.0, 1, 2, 3], [1.0, 3, 5, 7])
>>> round(trend.slope, 6), round(trend.intercept, 6), round(trend.r, 6), trend.n
(2.0, 1.0, 1.0, 4)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["Trend", "linear_trend"]


@dataclass(frozen=True)
class Trend:
    """``y ≈ slope * x + intercept``; ``r`` and its two-sided ``p`` over ``n`` finite points."""

    slope: float
    intercept: float
    r: float
    p: float
    n: int


def linear_trend(x: Sequence[float], y: Sequence[float]) -> Trend | None:
    """Fit the trend of the finite ``(x, y)`` pairs (:func:`scipy.stats.linregress`).

    Returns ``None`` when it is undefined: fewer than 3 pairs, or ``x`` or ``y`` constant.
    """
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xs.shape != ys.shape:
        raise ValueError(f"x and y must have the same length; got {xs.size} and {ys.size}.")
    keep = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[keep], ys[keep]
    if xs.size < 3 or np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return None
    fit = stats.linregress(xs, ys)
    return Trend(float(fit.slope), float(fit.intercept), float(fit.rvalue), float(fit.pvalue),
                 int(xs.size))  # fmt: skip
