"""Which structural features matter for a searched architecture's accuracy (paper § 4.4).

:func:`feature_ranking` fits the registry's random forest (imputer and scaler inside) on the
measured candidates and ranks the features by its impurity importance, beside each feature's
Pearson and Spearman correlation with the target over the same rows — the paper's Figure 8b
pairs the ten most important features with their correlation with the maximum accuracy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy import stats

__all__ = ["feature_ranking"]


def feature_ranking(
    frame: pl.DataFrame, *, target: str, features: Sequence[str], seed: int = 0
) -> pl.DataFrame:
    """``feature``, ``importance`` (random forest, sums to 1), ``pearson_r``, ``spearman_rho``
    over the rows with a finite ``target``; features that are constant or missing on every row
    are left out (they carry no information). Sorted by importance, highest first.

    Raises
    ------
    ValueError
        Fewer than 3 rows with the target, or no feature varies.
    """
    from analytics.regressors import create_regressor

    rows = frame.filter(pl.col(target).is_finite())
    if rows.height < 3:
        raise ValueError(
            f"Ranking features needs at least 3 rows with {target!r}; got {rows.height}."
        )
    x = rows.select(features).cast(pl.Float64).fill_nan(None).to_numpy()
    varying = [i for i in range(x.shape[1]) if np.unique(x[~np.isnan(x[:, i]), i]).size > 1]
    if not varying:
        raise ValueError(f"No feature varies over the {rows.height} rows with {target!r}.")
    x = x[:, varying]
    names = [features[i] for i in varying]
    y = rows.get_column(target).to_numpy()
    model = create_regressor("random_forest", seed=seed).fit(x, y)
    importance = model[-1].feature_importances_
    pearson, spearman = [], []
    for column in x.T:
        seen = ~np.isnan(column)
        if seen.sum() > 2 and np.ptp(column[seen]) > 0:
            pearson.append(stats.pearsonr(column[seen], y[seen]).statistic)
            spearman.append(stats.spearmanr(column[seen], y[seen]).statistic)
        else:
            pearson.append(np.nan)
            spearman.append(np.nan)
    return pl.DataFrame(
        {
            "feature": names,
            "importance": importance,
            "pearson_r": pearson,
            "spearman_rho": spearman,
        }  # fmt: skip
    ).sort("importance", descending=True)
