"""The regressor registry and a contract every registered regressor must meet."""

import numpy as np
import pytest
from sklearn.metrics import r2_score

from analytics.regressors import (
    create_regressor,
    default_regressors,
    list_regressors,
    register_regressor,
)

PAPER = ["bayesian_ridge", "random_forest", "adaboost", "xgboost"]


def test_the_five_regressors_are_registered_and_unknown_names_are_refused():
    assert list_regressors() == [*PAPER, "xgboost_rank"]
    assert default_regressors() == PAPER  # xgboost_rank is fitted only when named
    with pytest.raises(ValueError, match="Unknown regressor 'svm'.*bayesian_ridge"):
        create_regressor("svm")


def test_a_duplicate_name_is_refused_and_the_first_registration_kept():
    with pytest.raises(ValueError, match="'random_forest' is already registered"):
        register_regressor("random_forest")(lambda seed: None)
    model = create_regressor("random_forest", seed=4)
    assert type(model[-1]).__name__ == "RandomForestRegressor"
    assert model[-1].random_state == 4


def _linear(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 3))
    return x, 3 * x[:, 0] - 2 * x[:, 1] + rng.normal(scale=0.05, size=n)


@pytest.mark.parametrize("name", list_regressors())
def test_contract_fits_a_tiny_frame_with_a_missing_value(name):
    x, y = _linear(12, 0)
    x[3, 1] = np.nan  # imputed inside the pipeline
    predicted = create_regressor(name, seed=0).fit(x[:9], y[:9]).predict(x[9:])
    assert predicted.shape == (3,) and np.isfinite(predicted).all()


@pytest.mark.parametrize("name", list_regressors())
def test_contract_beats_a_constant_predictor_on_a_strong_linear_signal(name):
    x, y = _linear(160, 1)
    model = create_regressor(name, seed=0).fit(x[:120], y[:120])
    constant = np.full(40, y[:120].mean())
    assert r2_score(y[120:], model.predict(x[120:])) > r2_score(y[120:], constant) + 0.5


@pytest.mark.parametrize("name", list_regressors())
def test_contract_is_reproducible_from_its_seed(name):
    x, y = _linear(60, 2)
    first = create_regressor(name, seed=3).fit(x[:40], y[:40]).predict(x[40:])
    second = create_regressor(name, seed=3).fit(x[:40], y[:40]).predict(x[40:])
    np.testing.assert_array_equal(first, second)


def test_the_fast_profile_fits_fewer_trees_and_unknown_profiles_are_refused():
    assert create_regressor("random_forest", profile="fast")[-1].n_estimators == 50
    assert create_regressor("random_forest")[-1].n_estimators == 200
    assert type(create_regressor("bayesian_ridge", profile="fast")[-1]).__name__ == "BayesianRidge"
    with pytest.raises(ValueError, match="Unknown profile 'quick'.*'fast'"):
        create_regressor("xgboost", profile="quick")
