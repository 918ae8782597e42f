"""evaluate_regressors against scikit-learn and scipy called directly, fold by fold."""

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats
from sklearn.impute import SimpleImputer
from sklearn.linear_model import BayesianRidge
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, RepeatedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from analytics.regressors import (
    create_regressor,
    cross_validated_predictions,
    evaluate_regressors,
)


def _leaky_frame():
    """A feature with missing values and one far outlier: scaling or imputing on all rows
    (instead of the training folds) changes BayesianRidge's predictions measurably."""
    rng = np.random.default_rng(4)
    n = 60
    a, b = rng.uniform(size=n), rng.uniform(size=n)
    y = 2 * a + b + rng.normal(scale=0.1, size=n)
    b[7] = 40.0  # one test fold sees this maximum, the other folds do not
    b[rng.choice(n, 8, replace=False)] = np.nan
    return pl.DataFrame({"a": a, "b": b, "acc": y}), np.column_stack([a, b]), y


def _manual_cv_r2(x, y, *, in_fold: bool) -> float:
    scores = []
    splits = RepeatedKFold(n_splits=5, n_repeats=2, random_state=0).split(x)
    if not in_fold:
        x = MinMaxScaler().fit_transform(SimpleImputer(strategy="median").fit_transform(x))
    for train, test in splits:
        steps = [SimpleImputer(strategy="median"), MinMaxScaler()] if in_fold else []
        model = make_pipeline(*steps, BayesianRidge()).fit(x[train], y[train])
        scores.append(r2_score(y[test], model.predict(x[test])))
    return float(np.mean(scores)), float(np.std(scores))


def test_leakage_probe_cv_matches_a_per_fold_sklearn_computation():
    frame, x, y = _leaky_frame()
    row = evaluate_regressors(
        frame, target="acc", features=["a", "b"], regressors=["bayesian_ridge"], n_repeats=2
    ).scores.row(0, named=True)
    mean, std = _manual_cv_r2(x, y, in_fold=True)
    assert row["cv_r2_mean"] == pytest.approx(mean, abs=1e-9)
    assert row["cv_r2_std"] == pytest.approx(std, abs=1e-9)
    leaky_mean, _ = _manual_cv_r2(x, y, in_fold=False)
    assert abs(leaky_mean - mean) > 1e-3  # the probe would notice scaling outside the folds


def test_rank_metrics_are_those_of_sklearns_out_of_fold_predictions(frame):
    row = evaluate_regressors(
        frame, target="acc", features=["a", "b", "junk"], regressors=["bayesian_ridge"],
        n_splits=4, n_repeats=1, seed=2,
    ).scores.row(0, named=True)  # fmt: skip
    x, y = frame.select("a", "b", "junk").to_numpy(), frame["acc"].to_numpy()
    cv = KFold(n_splits=4, shuffle=True, random_state=2)  # RepeatedKFold's first repeat
    predicted = cross_val_predict(create_regressor("bayesian_ridge"), x, y, cv=cv)
    assert row["kendall_tau"] == pytest.approx(stats.kendalltau(y, predicted).statistic, abs=1e-12)
    assert row["spearman_pred"] == pytest.approx(stats.spearmanr(y, predicted).statistic, abs=1e-12)
    top_true = set(np.argsort(-y)[:8])  # 10% of 80 rows
    top_predicted = set(np.argsort(-predicted)[:8])
    assert row["precision_at_10pct"] == len(top_true & top_predicted) / 8
    assert row["kendall_tau"] > 0.8


def test_a_learnable_target_scores_high_and_noise_does_not(frame):
    result = evaluate_regressors(
        frame, target="acc", features=["a", "b", "junk"], regressors=["bayesian_ridge"],
        n_splits=4, n_repeats=2,
    )  # fmt: skip
    assert result.scores["cv_r2_mean"][0] > 0.95 and result.importances.height == 0
    noisy = frame.with_columns(acc=pl.Series(np.random.default_rng(5).normal(size=80)))
    noise = evaluate_regressors(
        noisy, target="acc", features=["a", "b"], regressors=["bayesian_ridge"], n_repeats=2
    ).scores.row(0, named=True)
    assert noise["cv_r2_mean"] < 0.15 and abs(noise["kendall_tau"]) < 0.2


def test_parallel_fits_give_exactly_the_serial_results(frame):
    kwargs = dict(
        target="acc", features=["a", "b", "junk"], by="group",
        regressors=["random_forest", "xgboost"], n_splits=3, n_repeats=1, seed=1, bootstrap=20,
        min_rows=3,
    )  # fmt: skip
    small = frame.filter(pl.int_range(pl.len()).over("group") < 12)  # 2 groups of 12 rows
    serial = evaluate_regressors(small, n_jobs=1, **kwargs).scores
    parallel = evaluate_regressors(small, n_jobs=2, **kwargs).scores
    assert serial.height == 4 and serial.equals(parallel)


def test_bootstrap_intervals_are_seeded_and_contain_the_point_estimate(frame):
    kwargs = dict(target="acc", features=["a", "b"], regressors=["bayesian_ridge"], n_repeats=2)
    first = evaluate_regressors(frame, bootstrap=200, seed=0, **kwargs).scores
    again = evaluate_regressors(frame, bootstrap=200, seed=0, **kwargs).scores
    other = evaluate_regressors(frame, bootstrap=200, seed=1, **kwargs).scores
    assert first.equals(again) and not first.equals(other)
    row = first.row(0, named=True)
    for statistic, point in (
        ("cv_r2", "cv_r2_mean"), ("kendall_tau", "kendall_tau"),
        ("spearman_pred", "spearman_pred"), ("precision_at_10pct", "precision_at_10pct"),
    ):  # fmt: skip
        low, high = row[f"{statistic}_low"], row[f"{statistic}_high"]
        assert low <= row[point] <= high, statistic
    assert row["cv_r2_low"] > 0.9 and row["cv_r2_high"] < 1
    assert "cv_r2_low" not in evaluate_regressors(frame, **kwargs).scores.columns


def test_small_groups_missing_features_and_the_small_paper_split_note(frame):
    with_nan = frame.with_columns(
        pl.when(pl.col("a") > 0.9).then(None).otherwise(pl.col("b")).alias("b")
    )
    result = evaluate_regressors(
        with_nan.head(46), target="acc", features=["a", "b"], by="group",
        regressors=["bayesian_ridge"], n_repeats=1,
    )  # fmt: skip
    rows = {r["group"]: r for r in result.scores.rows(named=True)}
    assert rows["x"]["cv_r2_mean"] > 0.8  # NaN features are imputed inside the pipeline
    assert rows["x"]["note"] == "paper split tests only 4 rows"  # 10% of 40, rounded up
    assert rows["y"]["note"] == "only 6 rows" and math.isnan(rows["y"]["cv_r2_mean"])
    assert math.isnan(rows["y"]["kendall_tau"])


def test_importances_on_request_find_the_signal(frame):
    result = evaluate_regressors(
        frame, target="acc", features=["a", "b", "junk"], regressors=["bayesian_ridge"],
        n_splits=4, n_repeats=1, importances=True,
    )  # fmt: skip
    order = result.importances.sort("importance_mean", descending=True)["feature"].to_list()
    assert order == ["a", "b", "junk"]


def test_bad_parameters_and_infinite_features_are_named(frame):
    with pytest.raises(ValueError, match="'bootstrap' parameter of evaluate_regressors"):
        evaluate_regressors(frame, target="acc", features=["a"], bootstrap=-1)
    with pytest.raises(ValueError, match=r"\['b'\] hold infinite values"):
        evaluate_regressors(
            frame.with_columns(b=pl.lit(float("inf"))), target="acc", features=["a", "b"]
        )
    with pytest.raises(KeyError, match="nope"):
        evaluate_regressors(frame, target="acc", features=["nope"])


def test_out_of_fold_predictions_match_sklearn(frame):
    result = cross_validated_predictions(
        frame, target="acc", features=["a", "b"], regressor="xgboost", seed=3
    )
    x, y = frame.select("a", "b").to_numpy(), frame["acc"].to_numpy()
    cv = KFold(n_splits=5, shuffle=True, random_state=3)
    expected = cross_val_predict(create_regressor("xgboost", seed=3), x, y, cv=cv)
    assert result.schema["predicted"] == pl.Float64
    np.testing.assert_allclose(result["predicted"].to_numpy(), expected, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="at least 5 rows"):
        cross_validated_predictions(frame.head(3), target="acc", features=["a"])
