"""Tree shortcuts: the streams of fresh generators, bit-identical forests, scikit-learn's errors."""

import threading

import numpy as np
import pytest
import sklearn.ensemble._forest as forest_module
import sklearn.tree._classes as tree_module
from sklearn.ensemble import AdaBoostRegressor, ExtraTreesRegressor, RandomForestRegressor
from sklearn.tree import DecisionTreeRegressor

from analytics.regressors.tree_shortcuts import RecycledRandomStates, tree_shortcuts


def _draws(state: np.random.RandomState) -> list:
    """Draws of every kind the tree code and the tests below use, the Gaussian cache included."""
    return [
        state.randint(0, 2**31 - 1, 4).tolist(),
        state.random_sample(3).tolist(),
        state.choice(10, 5, p=np.linspace(1, 2, 10) / np.linspace(1, 2, 10).sum()).tolist(),
        state.standard_normal(3).tolist(),  # odd count: leaves a cached Gaussian behind
        state.normal(),
    ]


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**32 - 1, np.int64(7), np.uint32(9)])
def test_a_recycled_generator_draws_what_a_fresh_one_draws(seed):
    states = RecycledRandomStates()
    _draws(states(3))  # a used generator, with a Gaussian cached, goes back to the pool
    assert _draws(states(seed)) == _draws(np.random.RandomState(seed))
    assert len(states._pool) == 1  # and it was the one reused


def test_a_generator_someone_holds_is_never_handed_out_again():
    states = RecycledRandomStates()
    held = states(1)
    other = states(2)
    assert other is not held
    assert _draws(held) == _draws(np.random.RandomState(1))  # untouched by the second seeding
    assert _draws(other) == _draws(np.random.RandomState(2))


def test_bad_seeds_raise_numpys_error():
    states = RecycledRandomStates()
    for seed in (-1, 2**32):
        with pytest.raises(ValueError) as fresh:
            np.random.RandomState(seed)
        with pytest.raises(ValueError) as recycled:
            states(seed)
        assert str(recycled.value) == str(fresh.value)


def _data(seed=0, rows=80):
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=(rows, 6)) * 3)  # integer-valued: many ties, as counts give
    return x, x[:, 0] - 2 * x[:, 1] + rng.normal(size=rows)


def _fits(x, y):
    weights = np.linspace(0.5, 2.0, len(y))
    models = [
        RandomForestRegressor(n_estimators=30, random_state=4),
        RandomForestRegressor(n_estimators=10, max_features=0.5, max_samples=0.7, random_state=5),
        ExtraTreesRegressor(n_estimators=10, bootstrap=True, random_state=6),
        AdaBoostRegressor(n_estimators=15, random_state=7),
        DecisionTreeRegressor(max_features=2, random_state=8),
    ]
    out = [model.fit(x, y).predict(x) for model in models]
    out.append(RandomForestRegressor(n_estimators=10, random_state=9)
               .fit(x, y, sample_weight=weights).predict(x))  # fmt: skip
    return out


def test_fits_in_the_block_equal_scikit_learns_own_to_the_bit():
    x, y = _data()
    outside = _fits(x, y)
    originals = (forest_module.check_random_state, tree_module._check_sample_weight)
    with tree_shortcuts():
        assert forest_module.check_random_state is not originals[0]  # really replaced
        assert tree_module._check_sample_weight is not originals[1]
        inside = _fits(x, y)
    assert (forest_module.check_random_state, tree_module._check_sample_weight) == originals
    for a, b in zip(inside, outside, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "weights",
    [np.zeros(80, dtype=np.int64), np.ones(79, dtype=np.int64), np.ones((80, 1), dtype=np.int64),
     np.full(80, np.inf)],
    ids=["all zero", "wrong length", "2-D", "infinite"],
)  # fmt: skip
def test_bad_sample_weights_raise_scikit_learns_own_error(weights):
    x, y = _data()
    with pytest.raises(ValueError) as outside:
        DecisionTreeRegressor().fit(x, y, sample_weight=weights)
    with tree_shortcuts(), pytest.raises(ValueError) as inside:
        DecisionTreeRegressor().fit(x, y, sample_weight=weights)
    assert str(inside.value) == str(outside.value)


def test_nested_and_concurrent_blocks_keep_results_and_restore_at_the_last_exit():
    x, y = _data(1)
    expected = RandomForestRegressor(n_estimators=20, random_state=2).fit(x, y).predict(x)
    original = tree_module.check_random_state
    results, errors = [], []

    def fit_in_a_block():
        try:
            with tree_shortcuts():
                for _ in range(3):
                    model = RandomForestRegressor(n_estimators=20, random_state=2)
                    results.append(model.fit(x, y).predict(x))
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    with tree_shortcuts():
        threads = [threading.Thread(target=fit_in_a_block) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with tree_shortcuts():
            pass
        assert tree_module.check_random_state is not original  # the outer block still holds
    assert tree_module.check_random_state is original
    assert not errors and len(results) == 12
    for predicted in results:
        np.testing.assert_array_equal(predicted, expected)
