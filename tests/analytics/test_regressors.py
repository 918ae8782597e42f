import math

import numpy as np
import polars as pl
import pytest

from analytics.regressors import create_regressor, evaluate_regressors, list_regressors


@pytest.fixture
def frame():
    rng = np.random.default_rng(1)
    n = 80
    a, b = rng.uniform(size=n), rng.uniform(size=n)
    return pl.DataFrame(
        {
            "group": ["x"] * 40 + ["y"] * 40,
            "a": a,
            "b": b,
            "junk": rng.uniform(size=n),
            "acc": 3 * a - b + rng.normal(scale=0.05, size=n),
        }
    )


def test_registry_lists_the_four_regressors_and_rejects_others():
    assert list_regressors() == ["bayesian_ridge", "random_forest", "adaboost", "xgboost"]
    with pytest.raises(ValueError, match="bayesian_ridge"):
        create_regressor("svm")


def test_a_learnable_target_scores_high_and_importances_find_the_signal(frame):
    result = evaluate_regressors(
        frame, target="acc", features=["a", "b", "junk"], regressors=["bayesian_ridge", "xgboost"],
        n_splits=4, n_repeats=2,
    )  # fmt: skip
    scores = {r["regressor"]: r for r in result.scores.rows(named=True)}
    assert scores["bayesian_ridge"]["cv_r2_mean"] > 0.95
    assert scores["xgboost"]["cv_r2_mean"] > 0.7
    assert not math.isnan(scores["bayesian_ridge"]["paper_r2"])
    ridge = result.importances.filter(pl.col("regressor") == "bayesian_ridge").sort(
        "importance_mean", descending=True
    )
    assert ridge["feature"].to_list()[0] == "a"
    assert ridge["feature"].to_list()[-1] == "junk"


def test_noise_target_scores_near_zero_or_below(frame):
    noisy = frame.with_columns(acc=pl.Series(np.random.default_rng(5).normal(size=80)))
    result = evaluate_regressors(
        noisy, target="acc", features=["a", "b"], regressors=["bayesian_ridge"], n_repeats=2
    )
    assert result.scores["cv_r2_mean"][0] < 0.15


def test_results_are_reproducible_from_the_seed(frame):
    kwargs = dict(target="acc", features=["a", "b"], regressors=["random_forest"], n_repeats=1)
    first = evaluate_regressors(frame, seed=3, **kwargs).scores
    second = evaluate_regressors(frame, seed=3, **kwargs).scores
    assert first.equals(second)


def test_small_groups_and_missing_features(frame):
    with_nan = frame.with_columns(
        pl.when(pl.col("a") > 0.9).then(None).otherwise(pl.col("b")).alias("b")
    )
    result = evaluate_regressors(
        with_nan.head(46), target="acc", features=["a", "b"], by="group",
        regressors=["bayesian_ridge"], n_repeats=1,
    )  # fmt: skip
    rows = {r["group"]: r for r in result.scores.rows(named=True)}
    assert rows["x"]["cv_r2_mean"] > 0.8  # NaN features are imputed inside the pipeline
    assert rows["y"]["note"] == "only 6 rows" and math.isnan(rows["y"]["cv_r2_mean"])


def test_out_of_fold_predictions_track_the_target(frame):
    from analytics.regressors import cross_validated_predictions

    result = cross_validated_predictions(
        frame, target="acc", features=["a", "b"], regressor="bayesian_ridge"
    )
    assert result.height == frame.height
    correlation = np.corrcoef(result["acc"], result["predicted"])[0, 1]
    assert correlation > 0.95
    with pytest.raises(ValueError, match="at least 5 rows"):
        cross_validated_predictions(frame.head(3), target="acc", features=["a"])


def test_importances_can_be_skipped_and_predictions_are_float64(frame):
    from analytics.regressors import cross_validated_predictions

    result = evaluate_regressors(
        frame, target="acc", features=["a"], regressors=["xgboost"], n_repeats=1, importances=False
    )
    assert result.importances.height == 0 and result.scores.height == 1
    predicted = cross_validated_predictions(
        frame, target="acc", features=["a"], regressor="xgboost"
    )
    assert predicted.schema["predicted"] == pl.Float64
