"""Cached parameter names: the same names, bit-identical fits, scikit-learn's lookup back after."""

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.ensemble import AdaBoostRegressor, RandomForestRegressor

from analytics.regressors.param_names import cached_param_names


def _fits(x, y):
    forest = RandomForestRegressor(n_estimators=20, random_state=3).fit(x, y)
    boost = AdaBoostRegressor(n_estimators=10, random_state=3).fit(x, y)
    return forest.predict(x), boost.predict(x), sorted(forest.get_params(deep=True))


def test_fits_inside_the_block_equal_fits_outside_to_the_bit():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 5)), rng.normal(size=60)
    outside = _fits(x, y)
    original = BaseEstimator.__dict__["_get_param_names"]
    with cached_param_names():
        assert BaseEstimator.__dict__["_get_param_names"] is not original  # really cached
        inside = _fits(x, y)
        names = RandomForestRegressor._get_param_names()
        names.append("not a parameter")  # a caller's change does not reach the cache
        assert "not a parameter" not in RandomForestRegressor._get_param_names()
    assert BaseEstimator.__dict__["_get_param_names"] is original
    np.testing.assert_array_equal(inside[0], outside[0])
    np.testing.assert_array_equal(inside[1], outside[1])
    assert inside[2] == outside[2]
