"""Scores at a fixed training size: fit on N rows drawn with a seed, score the rest.

The question a search asks of a predictor is "how well does it rank after N measured
architectures?" — a learning curve, not a K-fold estimate. :func:`train_size_scores` answers
it for every group and regressor: per repeat, scikit-learn's ``train_test_split`` draws
``train_size`` training rows with seed ``seed + repeat``, the regressor (imputer and scaler
inside, :func:`~analytics.regressors.registry.create_regressor`) is fitted on them, and the
remaining rows are scored by R² and :data:`~analytics.regressors.rank_metrics.RANK_METRICS`;
each score is averaged over the repeats (``_std`` beside R²). :func:`train_size_draws` keeps
the score of every draw, for confidence intervals over draws.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split

from analytics.regressors.rank_metrics import RANK_METRICS, rank_metrics
from analytics.regressors.registry import create_regressor, default_regressors

__all__ = ["train_size_draws", "train_size_scores"]

MIN_TEST_ROWS = 2  # rows that must remain to be scored


def train_size_scores(
    frame: pl.DataFrame,
    *,
    target: str,
    features: Sequence[str],
    train_size: int,
    by: str | None = None,
    regressors: Sequence[str] | None = None,
    repeats: int = 1,
    seed: int = 0,
    profile: str = "default",
) -> pl.DataFrame:
    """One row per group and regressor: ``n``, ``train_size``, ``test_rows``, ``r2_mean``,
    ``r2_std`` and the rank metrics, averaged over ``repeats`` seeded draws.

    Raises
    ------
    ValueError
        ``train_size`` not an int >= 2, ``repeats`` < 1, or a group with too few rows to
        leave :data:`MIN_TEST_ROWS` to score (the message names the group and its rows).
    KeyError
        A missing column.
    """
    _check(frame, target, features, by, train_size, repeats)
    names = list(regressors) if regressors else default_regressors()
    frame = frame.filter(pl.col(target).is_not_null() & pl.col(target).is_not_nan())
    groups = [("all", frame)] if by is None else sorted(
        ((str(k[0]), part) for k, part in frame.group_by(by)), key=lambda kv: kv[0]
    )  # fmt: skip
    rows = []
    for group, part in groups:
        _check_rows(group, part.height, train_size)
        x = part.select(features).cast(pl.Float64).fill_nan(None).to_numpy()
        y = part.get_column(target).cast(pl.Float64).to_numpy()
        for name in names:
            rows.append({"group": group, "regressor": name, "n": part.height,
                         "train_size": train_size, "test_rows": part.height - train_size,
                         **_scores(name, x, y, train_size, repeats, seed, profile)})  # fmt: skip
    return pl.DataFrame(rows)


def train_size_draws(
    frame: pl.DataFrame,
    *,
    target: str,
    features: Sequence[str],
    train_size: int,
    regressor: str,
    repeats: int = 1,
    seed: int = 0,
    profile: str = "default",
) -> pl.DataFrame:
    """One row per seeded draw (``repeat`` 0 .. repeats-1, split seed ``seed + repeat``) of
    ``regressor`` at ``train_size``: ``r2`` and the rank metrics on the rows not drawn — the
    draws :func:`train_size_scores` averages. Raises as it does."""
    _check(frame, target, features, None, train_size, repeats)
    rows = frame.filter(pl.col(target).is_not_null() & pl.col(target).is_not_nan())
    _check_rows("all", rows.height, train_size)
    x = rows.select(features).cast(pl.Float64).fill_nan(None).to_numpy()
    y = rows.get_column(target).cast(pl.Float64).to_numpy()
    return pl.DataFrame(_draws(regressor, x, y, train_size, repeats, seed, profile))


def _check(frame, target, features, by, train_size, repeats) -> None:
    if isinstance(train_size, bool) or not isinstance(train_size, int) or train_size < 2:
        raise ValueError(
            "The 'train_size' parameter of train_size_scores must be an int >= 2. "
            f"Got {train_size!r} instead."
        )
    if repeats < 1:
        raise ValueError(
            f"The 'repeats' parameter of train_size_scores must be >= 1. Got {repeats}."
        )
    missing = [c for c in (target, *features, *([by] if by else [])) if c not in frame.columns]
    if missing:
        raise KeyError(f"Missing column(s) {missing}; available: {sorted(frame.columns)}.")


def _check_rows(group: str, rows: int, train_size: int) -> None:
    if rows < train_size + MIN_TEST_ROWS:
        raise ValueError(
            f"Group {group!r} has {rows} rows: --train-size {train_size} leaves fewer "
            f"than {MIN_TEST_ROWS} to score."
        )


def _draws(name, x, y, train_size, repeats, seed, profile) -> list[dict[str, float]]:
    draws = []
    indices = np.arange(len(y))
    for repeat in range(repeats):
        train, test = train_test_split(indices, train_size=train_size, random_state=seed + repeat)
        model = create_regressor(name, seed=seed + repeat, profile=profile)
        predicted = model.fit(x[train], y[train]).predict(x[test])
        draws.append({"repeat": repeat, "r2": float(r2_score(y[test], predicted)),
                      **rank_metrics(y[test], predicted)})  # fmt: skip
    return draws


def _scores(name, x, y, train_size, repeats, seed, profile) -> dict[str, float]:
    draws = _draws(name, x, y, train_size, repeats, seed, profile)
    r2 = [d["r2"] for d in draws]
    return {"r2_mean": float(np.mean(r2)), "r2_std": float(np.std(r2)),
            **{m: float(np.mean([d[m] for d in draws])) for m in RANK_METRICS}}  # fmt: skip
