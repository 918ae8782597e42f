"""Structural performance regressors: predict a network's accuracy from its graph features.

Four regressors (a registry: :func:`list_regressors`, :func:`create_regressor`) — BayesianRidge,
RandomForest, AdaBoost and XGBoost — each inside a pipeline that imputes missing features
(median; e.g. the diameter of a disconnected graph) and min-max scales them, both fitted on the
training part only. Two evaluations are reported side by side:

* ``cv_r2_mean`` / ``cv_r2_std``: repeated K-fold cross-validation — the honest estimate;
* ``paper_r2``: the paper's protocol, one 90/10 split with ``random_state=7`` — for comparison
  with its published numbers (one small test split, so it varies a lot);

plus permutation feature importances on the held-out folds. Everything is seeded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.base import RegressorMixin, clone
from sklearn.ensemble import AdaBoostRegressor, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import BayesianRidge
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, RepeatedKFold, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler

__all__ = [
    "RegressionResult",
    "create_regressor",
    "cross_validated_predictions",
    "evaluate_regressors",
    "list_regressors",
    "register_regressor",
]

Factory = Callable[[int], RegressorMixin]
_REGISTRY: dict[str, Factory] = {}


def register_regressor(name: str) -> Callable[[Factory], Factory]:
    """Register ``factory(seed) -> estimator`` under ``name``."""

    def decorator(factory: Factory) -> Factory:
        _REGISTRY[name] = factory
        return factory

    return decorator


@register_regressor("bayesian_ridge")
def _bayesian_ridge(seed: int) -> RegressorMixin:
    del seed  # deterministic
    return BayesianRidge()


@register_regressor("random_forest")
def _random_forest(seed: int) -> RegressorMixin:
    return RandomForestRegressor(n_estimators=200, random_state=seed, n_jobs=1)


@register_regressor("adaboost")
def _adaboost(seed: int) -> RegressorMixin:
    return AdaBoostRegressor(n_estimators=100, random_state=seed)


@register_regressor("xgboost")
def _xgboost(seed: int) -> RegressorMixin:
    from xgboost import XGBRegressor

    return XGBRegressor(
        n_estimators=200, max_depth=3, learning_rate=0.05, subsample=0.9,
        random_state=seed, n_jobs=1, verbosity=0,
    )  # fmt: skip


def list_regressors() -> list[str]:
    """Names of the registered regressors."""
    return list(_REGISTRY)


def create_regressor(name: str, *, seed: int = 0) -> Pipeline:
    """The named regressor inside an impute → min-max scale → regress pipeline."""
    if name not in _REGISTRY:
        raise ValueError(f"Unknown regressor {name!r}; valid names: {list_regressors()}.")
    return make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        MinMaxScaler(),
        _REGISTRY[name](seed),
    )


@dataclass(frozen=True)
class RegressionResult:
    """Scores (one row per group and regressor) and permutation importances (per feature)."""

    scores: pl.DataFrame
    importances: pl.DataFrame


def evaluate_regressors(
    frame: pl.DataFrame,
    *,
    target: str,
    features: Sequence[str],
    by: str | None = None,
    regressors: Sequence[str] | None = None,
    n_splits: int = 5,
    n_repeats: int = 3,
    seed: int = 0,
    min_rows: int = 10,
    importances: bool = True,
) -> RegressionResult:
    """Fit and score every regressor on every group.

    Rows with a missing target are dropped; groups with fewer than ``min_rows`` rows are
    reported with NaN scores and a ``note``. ``importances=False`` skips the permutation
    importances (the slow part for the tree ensembles); ``importances`` is then empty.

    Returns
    -------
    RegressionResult
        ``scores`` columns: ``group, regressor, n, cv_r2_mean, cv_r2_std, paper_r2, note``;
        ``importances`` columns: ``group, regressor, feature, importance_mean, importance_std``.
    """
    names = list(regressors) if regressors else list_regressors()
    for name in names:
        if name not in _REGISTRY:
            raise ValueError(f"Unknown regressor {name!r}; valid names: {list_regressors()}.")
    if n_splits < 2:
        raise ValueError(
            f"The 'n_splits' parameter of evaluate_regressors must be >= 2. Got {n_splits}."
        )
    if n_repeats < 1:
        raise ValueError(
            f"The 'n_repeats' parameter of evaluate_regressors must be >= 1. Got {n_repeats}."
        )
    missing = [c for c in [target, *features, *([by] if by else [])] if c not in frame.columns]
    if missing:
        raise KeyError(f"Missing column(s) {missing}; available: {sorted(frame.columns)}.")
    frame = frame.filter(pl.col(target).is_not_null() & pl.col(target).is_not_nan())
    groups = (
        [("all", frame)]
        if by is None
        else sorted(
            ((str(k[0]), part) for k, part in frame.group_by(by, maintain_order=True)),
            key=lambda kv: kv[0],
        )
    )
    score_rows, importance_rows = [], []
    for group, part in groups:
        x = part.select(features).cast(pl.Float64).fill_nan(None).to_numpy()
        y = part.get_column(target).cast(pl.Float64).to_numpy()
        for name in names:
            if len(y) < max(min_rows, n_splits):
                score_rows.append(_row(group, name, len(y), note=f"only {len(y)} rows"))
                continue
            if np.ptp(y) == 0:
                score_rows.append(_row(group, name, len(y), note="constant target"))
                continue
            model = create_regressor(name, seed=seed)
            cv = RepeatedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=seed)
            scores = cross_val_score(clone(model), x, y, cv=cv, scoring="r2")
            x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.1, random_state=7)
            paper = r2_score(y_test, clone(model).fit(x_train, y_train).predict(x_test))
            score_rows.append(
                _row(group, name, len(y), float(scores.mean()), float(scores.std()), float(paper))
            )
            if importances:
                importance_rows.extend(
                    _importances(group, name, model, x, y, features, n_splits=n_splits, seed=seed)
                )
    scores = pl.DataFrame(
        score_rows,
        schema={
            "group": pl.String, "regressor": pl.String, "n": pl.Int64,
            "cv_r2_mean": pl.Float64, "cv_r2_std": pl.Float64, "paper_r2": pl.Float64,
            "note": pl.String,
        },
    )  # fmt: skip
    importance_frame = pl.DataFrame(
        importance_rows,
        schema={
            "group": pl.String, "regressor": pl.String, "feature": pl.String,
            "importance_mean": pl.Float64, "importance_std": pl.Float64,
        },
    )  # fmt: skip
    return RegressionResult(scores=scores, importances=importance_frame)


def cross_validated_predictions(
    frame: pl.DataFrame,
    *,
    target: str,
    features: Sequence[str],
    regressor: str = "random_forest",
    n_splits: int = 5,
    seed: int = 0,
) -> pl.DataFrame:
    """Out-of-fold predictions of ``regressor`` for every row (predicted-vs-actual plots).

    Each row is predicted by a model that never saw it (one K-fold pass). Returns ``frame``'s
    rows with a missing target dropped, plus a ``predicted`` column.
    """
    from sklearn.model_selection import cross_val_predict

    missing = [c for c in [target, *features] if c not in frame.columns]
    if missing:
        raise KeyError(f"Missing column(s) {missing}; available: {sorted(frame.columns)}.")
    frame = frame.filter(pl.col(target).is_not_null() & pl.col(target).is_not_nan())
    if frame.height < max(n_splits, 2):
        raise ValueError(
            f"cross_validated_predictions needs at least {max(n_splits, 2)} rows with a "
            f"target; got {frame.height}."
        )
    x = frame.select(features).cast(pl.Float64).fill_nan(None).to_numpy()
    y = frame.get_column(target).cast(pl.Float64).to_numpy()
    cv = KFold(n_splits=n_splits, shuffle=True, random_state=seed)
    predicted = cross_val_predict(create_regressor(regressor, seed=seed), x, y, cv=cv)
    return frame.with_columns(pl.Series("predicted", predicted, dtype=pl.Float64))


def _row(group, name, n, mean=float("nan"), std=float("nan"), paper=float("nan"), note=None):
    return {
        "group": group, "regressor": name, "n": n, "cv_r2_mean": mean,
        "cv_r2_std": std, "paper_r2": paper, "note": note,
    }  # fmt: skip


def _importances(group, name, model, x, y, features, *, n_splits, seed) -> list[dict]:
    """Permutation importances (drop in R²) on each held-out fold of one K-fold pass, pooled."""
    pooled = []
    for train, test in KFold(n_splits=n_splits, shuffle=True, random_state=seed).split(x):
        fitted = clone(model).fit(x[train], y[train])
        result = permutation_importance(
            fitted, x[test], y[test], scoring="r2", n_repeats=5, random_state=seed
        )
        pooled.append(result.importances)
    stacked = np.concatenate(pooled, axis=1)  # (features, folds * repeats)
    return [
        {
            "group": group,
            "regressor": name,
            "feature": feature,
            "importance_mean": float(stacked[i].mean()),
            "importance_std": float(stacked[i].std()),
        }  # fmt: skip
        for i, feature in enumerate(features)
    ]
