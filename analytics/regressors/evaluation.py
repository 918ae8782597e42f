"""Fit and score every regressor on every group: cross-validated R², rank agreement, paper split.

For each group and regressor:

* ``cv_r2_mean`` / ``cv_r2_std``: R² over the held-out folds of repeated K-fold — the honest
  estimate (imputer and scaler are fitted inside each training fold);
* ``kendall_tau``, ``spearman_pred``, ``precision_at_10pct``: rank agreement of the
  out-of-fold predictions with the truth (:mod:`analytics.regressors.rank_metrics`), computed
  per repeat (every row is predicted once per repeat) and averaged over the repeats;
* ``paper_r2``: the paper's protocol (:mod:`analytics.regressors.paper_protocol`);
* on request, percentile bootstrap intervals (:mod:`analytics.regressors.bootstrap`) and
  permutation importances (:mod:`analytics.regressors.importances`).

Every fit is an independent task (one fold of one regressor on one group), run longest first
on ``n_jobs`` worker processes (:mod:`analytics.regressors.fit_pool`); each task builds and
seeds its own model and the models use one thread each, so the results are identical for every
``n_jobs``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn import config_context
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, RepeatedKFold

from analytics.regressors.bootstrap import BOOTSTRAP_STATISTICS, bootstrap_intervals
from analytics.regressors.fit_pool import FitTask, resolve_workers, run_tasks
from analytics.regressors.importances import fold_importances, pool_importances
from analytics.regressors.paper_protocol import MIN_TEST_ROWS, paper_r2, paper_test_rows
from analytics.regressors.rank_metrics import RANK_METRICS, rank_metrics
from analytics.regressors.registry import (
    _require_known,
    _require_profile,
    create_regressor,
    default_regressors,
    factory_module,
)

__all__ = ["RegressionResult", "cross_validated_predictions", "evaluate_regressors"]

Progress = Callable[[int, int], None]  # (tasks done, tasks in total)

# Relative CPU time per fit and training row of the built-in regressors (measured on 160 x 24
# inside the fit pool's settings), used only to start the longest fits first; an unlisted
# regressor counts as an XGBoost.
_COST_PER_ROW = {"random_forest": 3.0, "adaboost": 1.3, "xgboost": 1.0, "bayesian_ridge": 0.04}


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
    importances: bool = False,
    bootstrap: int = 0,
    n_jobs: int = 1,
    profile: str = "default",
    progress: Progress | None = None,
) -> RegressionResult:
    """Fit and score every regressor on every group (see the module docstring for the columns).

    Rows with a missing target are dropped and the rest are used in the order given (the
    paper's split depends on it); groups with fewer than ``min_rows`` rows, or a constant
    target, get NaN scores and a ``note``, as does a paper split testing fewer than
    :data:`~analytics.regressors.paper_protocol.MIN_TEST_ROWS` rows.

    Parameters
    ----------
    importances:
        Also compute permutation importances (one K-fold pass, slow); else ``importances``
        is an empty frame.
    bootstrap:
        Resamples for percentile 95% intervals (0: none); adds ``STAT_low``/``STAT_high``
        columns for ``cv_r2`` and the rank metrics.
    n_jobs:
        Worker processes for the fits (-1: one per core; 1: fit here); the results do not
        depend on it. Regressors registered in ``__main__`` are always fitted here. Workers
        start from a forkserver, which re-imports the calling script: a script that asks for
        workers must call this under ``if __name__ == "__main__":`` (as with any
        ``multiprocessing`` code) — called from its unguarded top level, this raises a
        ``RuntimeError`` naming the line and the fix before any worker starts; notebooks and
        the CLI need nothing.
    profile:
        ``"default"``, or ``"fast"`` (fewer trees; other numbers), see
        :data:`analytics.regressors.registry.PROFILES`.
    progress:
        Called as ``progress(done, total)`` after each finished fit.

    Returns
    -------
    RegressionResult
        ``scores`` columns: ``group, regressor, n, cv_r2_mean, cv_r2_std, paper_r2,
        kendall_tau, spearman_pred, precision_at_10pct``, [bounds], ``note``;
        ``importances`` columns: ``group, regressor, feature, importance_mean,
        importance_std``.

    Raises
    ------
    ValueError
        An unknown regressor, a bad parameter, or an infinite feature value.
    RuntimeError
        Workers were asked for from a script's top level outside the ``__main__`` guard.
    KeyError
        A named column is missing (the message lists the available ones).
    """
    names = list(regressors) if regressors else default_regressors()
    for name in names:
        _require_known(name)
    _require_profile(profile)
    for parameter, value, least in (
        ("n_splits", n_splits, 2), ("n_repeats", n_repeats, 1), ("bootstrap", bootstrap, 0),
    ):  # fmt: skip
        if value < least:
            raise ValueError(
                f"The {parameter!r} parameter of evaluate_regressors must be >= {least}. "
                f"Got {value}."
            )
    workers = resolve_workers(n_jobs)
    groups = _groups(frame, target=target, features=features, by=by)
    plans, tasks = [], []
    for group, x, y in groups:
        note = _unfit_note(y, min_rows=min_rows, n_splits=n_splits)
        splits = [] if note else list(
            RepeatedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=seed).split(x)
        )  # fmt: skip
        for name in names:
            plan = _Plan(group, name, x, y, note, splits, n_splits)
            plans.append(plan)
            if note:
                continue
            plan.first_task = len(tasks)
            per_row = _COST_PER_ROW.get(name, 1.0)
            for train, test in splits:
                args = (name, seed, profile, x[train], y[train], x[test])
                tasks.append(FitTask(_fit_predict, args, cost=per_row * train.size))
            paper = {"regressor": name, "seed": seed, "profile": profile}
            tasks.append(FitTask(paper_r2, (x, y), paper, cost=per_row * y.size))
            if importances:
                for train, test in KFold(n_splits, shuffle=True, random_state=seed).split(x):
                    args = (name, seed, profile, x[train], y[train], x[test], y[test])
                    # one fit, then features x 5 shuffled predictions (as long as fits)
                    tasks.append(FitTask(fold_importances, args, cost=4 * per_row * train.size))
    modules = {factory_module(name) for name in names}
    if "__main__" in modules:  # a worker process cannot import it
        workers = 1
    outputs = run_tasks(tasks, workers=workers, progress=progress, modules=sorted(modules))
    score_rows, importance_rows = [], []
    for plan in plans:
        if plan.note:
            score_rows.append(_empty_row(plan, bootstrap))
            continue
        mine = outputs[plan.first_task : plan.first_task + len(plan.splits) + 1]
        score_rows.append(_score_row(plan, mine[:-1], mine[-1], bootstrap=bootstrap, seed=seed))
        if importances:
            start = plan.first_task + len(plan.splits) + 1
            importance_rows.extend(
                pool_importances(plan.group, plan.name, outputs[start : start + n_splits], features)
            )
    return RegressionResult(
        scores=pl.DataFrame(score_rows, schema=_score_schema(bootstrap), orient="row"),
        importances=pl.DataFrame(
            importance_rows,
            schema={
                "group": pl.String,
                "regressor": pl.String,
                "feature": pl.String,
                "importance_mean": pl.Float64,
                "importance_std": pl.Float64,
            },
        ),  # fmt: skip
    )


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

    _require_columns(frame, [target, *features])
    frame = frame.filter(pl.col(target).is_not_null() & pl.col(target).is_not_nan())
    if frame.height < max(n_splits, 2):
        raise ValueError(
            f"cross_validated_predictions needs at least {max(n_splits, 2)} rows with a "
            f"target; got {frame.height}."
        )
    x, y = _arrays(frame, target, features)
    cv = KFold(n_splits=n_splits, shuffle=True, random_state=seed)
    predicted = cross_val_predict(create_regressor(regressor, seed=seed), x, y, cv=cv)
    return frame.with_columns(pl.Series("predicted", predicted, dtype=pl.Float64))


# --- private helpers ------------------------------------------------------------------------


@dataclass
class _Plan:
    """One (group, regressor) cell of the score table and where its task outputs start."""

    group: str
    name: str
    x: np.ndarray
    y: np.ndarray
    note: str | None
    splits: list  # (train, test) index pairs, repeat after repeat
    n_folds: int
    first_task: int = -1


def _fit_predict(name: str, seed: int, profile: str, x_train, y_train, x_test) -> np.ndarray:
    """One fold: fit the in-fold pipeline on the training part, predict the held-out part."""
    model = create_regressor(name, seed=seed, profile=profile)
    # The inputs were validated once, at the boundary (_arrays: finite features and target),
    # so scikit-learn's re-checks in every tree of an ensemble are skipped (same numbers).
    with config_context(assume_finite=True, skip_parameter_validation=True):
        return model.fit(x_train, y_train).predict(x_test)


def _groups(frame, *, target, features, by) -> list[tuple[str, np.ndarray, np.ndarray]]:
    _require_columns(frame, [target, *features, *([by] if by else [])])
    frame = frame.filter(pl.col(target).is_not_null() & pl.col(target).is_not_nan())
    if by is None:
        parts = [("all", frame)]
    else:
        parts = sorted(
            ((str(k[0]), part) for k, part in frame.group_by(by, maintain_order=True)),
            key=lambda kv: kv[0],
        )
    return [(group, *_arrays(part, target, features)) for group, part in parts]


def _arrays(frame: pl.DataFrame, target: str, features: Sequence[str]):
    x = frame.select(features).cast(pl.Float64).fill_nan(None).to_numpy()
    infinite = [f for i, f in enumerate(features) if np.isinf(x[:, i]).any()]
    if infinite:
        raise ValueError(
            f"Feature column(s) {infinite} hold infinite values; regressors need finite "
            "features (missing values are fine: they are imputed)."
        )
    y = frame.get_column(target).cast(pl.Float64).to_numpy()
    if np.isinf(y).any():
        raise ValueError(f"The target column {target!r} holds infinite values.")
    return x, y


def _unfit_note(y: np.ndarray, *, min_rows: int, n_splits: int) -> str | None:
    if len(y) < max(min_rows, n_splits):
        return f"only {len(y)} rows"
    if np.ptp(y) == 0:
        return "constant target"
    return None


def _score_row(plan: _Plan, fold_predictions, paper: float, *, bootstrap: int, seed: int):
    y, n_folds = plan.y, plan.n_folds
    repeats = len(plan.splits) // n_folds
    out_of_fold = np.empty((repeats, y.size))  # each repeat predicts every row once
    fold_of = np.empty((repeats, y.size), dtype=np.int64)
    fold_r2 = []
    for i, ((_, test), predicted) in enumerate(zip(plan.splits, fold_predictions, strict=True)):
        fold_r2.append(r2_score(y[test], predicted))
        out_of_fold[i // n_folds, test] = predicted
        fold_of[i // n_folds, test] = i % n_folds
    scores = np.asarray(fold_r2)
    ranks = [rank_metrics(y, predicted) for predicted in out_of_fold]
    row = {
        "group": plan.group, "regressor": plan.name, "n": int(y.size),
        "cv_r2_mean": float(scores.mean()), "cv_r2_std": float(scores.std()),
        "paper_r2": paper,
        **{m: float(np.mean([r[m] for r in ranks])) for m in RANK_METRICS},
    }  # fmt: skip
    if bootstrap:
        intervals = bootstrap_intervals(y, out_of_fold, fold_of, n_resamples=bootstrap, seed=seed)
        for statistic, (low, high) in intervals.items():
            row[f"{statistic}_low"], row[f"{statistic}_high"] = low, high
    test_rows = paper_test_rows(y.size)
    row["note"] = f"paper split tests only {test_rows} rows" if test_rows < MIN_TEST_ROWS else None
    return [row[c] for c in _score_schema(bootstrap)]


def _empty_row(plan: _Plan, bootstrap: int) -> list:
    row = {c: math.nan for c in _score_schema(bootstrap)}
    row.update(group=plan.group, regressor=plan.name, n=int(plan.y.size), note=plan.note)
    return [row[c] for c in _score_schema(bootstrap)]


def _score_schema(bootstrap: int) -> dict[str, pl.DataType]:
    schema = {"group": pl.String, "regressor": pl.String, "n": pl.Int64}
    for column in ("cv_r2_mean", "cv_r2_std", "paper_r2", *RANK_METRICS):
        schema[column] = pl.Float64
    if bootstrap:
        for statistic in BOOTSTRAP_STATISTICS:
            schema[f"{statistic}_low"] = schema[f"{statistic}_high"] = pl.Float64
    schema["note"] = pl.String
    return schema


def _require_columns(frame: pl.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"Missing column(s) {missing}; available: {sorted(frame.columns)}.")
