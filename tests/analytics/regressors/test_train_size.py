"""Fixed-training-size scores against scikit-learn and scipy called directly."""

import numpy as np
import pytest
from scipy import stats
from sklearn.ensemble import RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import BayesianRidge
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from analytics.regressors.train_size import train_size_scores


def _direct(estimator, x, y, train_size, seed):
    train_x, test_x, train_y, test_y = train_test_split(
        x, y, train_size=train_size, random_state=seed
    )
    model = make_pipeline(SimpleImputer(strategy="median"), MinMaxScaler(), estimator)
    predicted = model.fit(train_x, train_y).predict(test_x)
    return r2_score(test_y, predicted), stats.kendalltau(test_y, predicted).statistic


def test_scores_match_scikit_learn_fitted_on_the_same_draw(frame):
    x, y = frame.select("a", "b").to_numpy(), frame.get_column("acc").to_numpy()
    scores = train_size_scores(frame, target="acc", features=["a", "b"], train_size=30,
                               regressors=["bayesian_ridge"], repeats=2, seed=5)  # fmt: skip
    row = scores.row(0, named=True)
    direct = [_direct(BayesianRidge(), x, y, 30, seed) for seed in (5, 6)]
    assert (row["n"], row["train_size"], row["test_rows"]) == (80, 30, 50)
    assert row["r2_mean"] == pytest.approx(np.mean([r for r, _ in direct]), rel=1e-9)
    assert row["kendall_tau"] == pytest.approx(np.mean([t for _, t in direct]), rel=1e-9)
    forest = train_size_scores(frame, target="acc", features=["a", "b"], train_size=20,
                               regressors=["random_forest"], by="group", seed=0)  # fmt: skip
    group_x = frame.filter(frame["group"] == "y")
    forest_model = RandomForestRegressor(n_estimators=200, random_state=0, n_jobs=1)
    group_x = group_x.select("a", "b").to_numpy(), group_x["acc"].to_numpy()
    r2, _ = _direct(forest_model, *group_x, 20, 0)
    assert forest.filter(forest["group"] == "y")["r2_mean"][0] == pytest.approx(r2, rel=1e-9)


def test_too_large_a_training_size_names_the_group(frame):
    with pytest.raises(ValueError, match="Group 'x' has 40 rows: --train-size 39 leaves"):
        train_size_scores(frame, target="acc", features=["a"], train_size=39, by="group")
    with pytest.raises(ValueError, match="The 'train_size' parameter"):
        train_size_scores(frame, target="acc", features=["a"], train_size=1)
