"""RankTargetXGBRegressor against XGBoost called directly on the rank quantiles."""

import numpy as np
from scipy import stats
from xgboost import XGBRegressor

from analytics.regressors.registry import create_estimator
from analytics.regressors.xgboost_rank import RankTargetXGBRegressor


def _skewed(n, seed):
    """A target with a long lower tail, like NAS accuracies with failed architectures."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 4))
    y = 0.8 - 0.05 * x[:, 0] + 0.02 * x[:, 1] - 0.6 * (x[:, 2] > 0.9)
    return x, y + rng.normal(scale=0.005, size=n)


def test_predictions_are_xgboost_on_rank_quantiles_read_out_linearly():
    x, y = _skewed(200, 0)
    params = dict(n_estimators=50, learning_rate=0.1, max_depth=3, subsample=0.8,
                  colsample_bytree=0.5, random_state=7)  # fmt: skip
    model = RankTargetXGBRegressor(**params).fit(x[:150], y[:150])
    quantiles = (stats.rankdata(y[:150]) - 0.5) / 150
    direct = XGBRegressor(**params, n_jobs=1, verbosity=0).fit(x[:150], quantiles)
    slope, intercept = np.polyfit(direct.predict(x[:150]).astype(float), y[:150], 1)
    expected = intercept + slope * direct.predict(x[150:]).astype(float)
    np.testing.assert_allclose(model.predict(x[150:]), expected, rtol=1e-9, atol=1e-9)
    assert slope > 0 and np.isclose(model.slope_, slope)


def test_a_constant_target_gives_a_constant_prediction_at_its_value():
    x, _ = _skewed(40, 1)
    model = RankTargetXGBRegressor(n_estimators=10).fit(x, np.full(40, 0.7))
    assert model.slope_ == 0.0
    np.testing.assert_allclose(model.predict(x[:5]), 0.7)


def test_the_registry_entry_is_this_estimator_seeded():
    estimator = create_estimator("xgboost_rank", seed=5)
    assert isinstance(estimator, RankTargetXGBRegressor)
    assert (estimator.random_state, estimator.n_jobs, estimator.n_estimators) == (5, 1, 800)
