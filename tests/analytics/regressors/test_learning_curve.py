"""The learning curve against scikit-learn and scipy called step by step on the same draws."""

import numpy as np
import pytest
from scipy import stats
from sklearn.impute import SimpleImputer
from sklearn.linear_model import BayesianRidge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from analytics.regressors.learning_curve import learning_curve


def test_means_and_intervals_match_direct_draws_and_scipy_bootstrap(frame):
    x, y = frame.select("a", "b").to_numpy(), frame.get_column("acc").to_numpy()
    curve = learning_curve(frame, target="acc", features=["a", "b"], train_sizes=[10, 40],
                           regressor="bayesian_ridge", repeats=6, seed=3,
                           resamples=2000)  # fmt: skip
    for row, size in zip(curve.iter_rows(named=True), (10, 40), strict=True):
        taus = []
        for split_seed in range(3, 9):
            tx, vx, ty, vy = train_test_split(x, y, train_size=size, random_state=split_seed)
            model = make_pipeline(SimpleImputer(strategy="median"), MinMaxScaler(), BayesianRidge())
            taus.append(stats.kendalltau(vy, model.fit(tx, ty).predict(vx)).statistic)
        expected = stats.bootstrap(
            (np.array(taus),),
            np.mean,
            n_resamples=2000,
            method="percentile",
            random_state=np.random.default_rng(3),
        )
        assert (row["train_size"], row["test_rows"], row["draws"]) == (size, 80 - size, 6)
        assert row["kendall_tau"] == pytest.approx(np.mean(taus), rel=1e-9)
        assert row["kendall_tau_low"] == pytest.approx(expected.confidence_interval.low)
        assert row["kendall_tau_high"] == pytest.approx(expected.confidence_interval.high)
        assert row["r2_low"] <= row["r2"] <= row["r2_high"]


def test_a_size_leaving_nothing_to_score_is_refused(frame):
    with pytest.raises(ValueError, match="Group 'all' has 80 rows: --train-size 79"):
        learning_curve(frame, target="acc", features=["a"], train_sizes=[79],
                       regressor="bayesian_ridge")  # fmt: skip
