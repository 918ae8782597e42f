"""PrecheckedTree: scikit-learn's tree to the bit, its validation kept for anything not plain."""

import numpy as np
import pytest
import sklearn.tree._classes as tree_module
from sklearn.ensemble import AdaBoostRegressor
from sklearn.tree import DecisionTreeRegressor

from analytics.regressors.prechecked_tree import PrecheckedTree, reseeded_generator
from analytics.regressors.registry import create_estimator


def _data(seed=0, rows=120, columns=5):
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=(rows, columns)) * 4)  # integer-valued: ties between rows
    return x, x[:, 0] * x[:, 1] + rng.normal(size=rows)


def _same_tree(a, b):
    for field in ("feature", "threshold", "children_left", "children_right", "value"):
        np.testing.assert_array_equal(getattr(a.tree_, field), getattr(b.tree_, field))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("params", [{"max_depth": 3}, {}, {"max_features": 2}])
def test_the_same_tree_and_predictions_as_decision_tree_regressor(seed, params):
    x, y = _data(seed)
    ours = PrecheckedTree(random_state=seed, **params).fit(x, y)
    theirs = DecisionTreeRegressor(random_state=seed, **params).fit(x, y)
    _same_tree(ours, theirs)
    x_new = _data(seed + 10)[0]
    np.testing.assert_array_equal(ours.predict(x_new), theirs.predict(x_new))
    assert ours.get_params() == theirs.get_params()


def test_adaboost_with_it_equals_adaboost_with_its_default_tree():
    x, y = _data(3)
    ours = create_estimator("adaboost", seed=5).set_params(n_estimators=25).fit(x, y)
    theirs = AdaBoostRegressor(n_estimators=25, random_state=5).fit(x, y)
    assert isinstance(ours.estimators_[0], PrecheckedTree)
    np.testing.assert_array_equal(ours.estimator_weights_, theirs.estimator_weights_)
    np.testing.assert_array_equal(ours.predict(x), theirs.predict(x))


@pytest.fixture
def check_input_seen(monkeypatch):
    """The ``check_input`` every tree fit passes to scikit-learn's ``BaseDecisionTree._fit``."""
    seen, fit = [], tree_module.BaseDecisionTree._fit

    def spy(self, *args, check_input=True, **kwargs):
        seen.append(check_input)
        return fit(self, *args, check_input=check_input, **kwargs)

    monkeypatch.setattr(tree_module.BaseDecisionTree, "_fit", spy)
    return seen


def test_plain_inputs_skip_the_validation_and_others_keep_it(check_input_seen):
    x, y = _data(4)
    PrecheckedTree().fit(x, y)
    PrecheckedTree().fit(x.astype(np.float32), y)
    with_nan = x.copy()
    with_nan[3, 1] = np.nan
    PrecheckedTree().fit(with_nan, y)
    PrecheckedTree().fit(x.tolist(), y)
    PrecheckedTree().fit(x, y.reshape(-1, 1))
    assert check_input_seen == [False, False, True, True, True]


def test_missing_values_are_handled_as_decision_tree_regressor_does():
    x, y = _data(5)
    x[::7, 2] = np.nan
    ours = PrecheckedTree(random_state=0).fit(x, y)
    theirs = DecisionTreeRegressor(random_state=0).fit(x, y)
    _same_tree(ours, theirs)
    np.testing.assert_array_equal(ours.predict(x), theirs.predict(x))


@pytest.mark.parametrize("bad", ["infinite feature", "infinite target", "too few targets"])
def test_bad_input_raises_scikit_learns_own_error(bad):
    x, y = _data(6)
    if bad == "infinite feature":
        x[0, 0] = np.inf
    elif bad == "infinite target":
        y[0] = np.inf
    else:
        y = y[:-1]
    with pytest.raises(ValueError) as theirs:
        DecisionTreeRegressor().fit(x, y)
    with pytest.raises(ValueError) as ours:
        PrecheckedTree().fit(x, y)
    assert str(ours.value) == str(theirs.value)
    fitted = (PrecheckedTree().fit(*_data(7)), DecisionTreeRegressor().fit(*_data(7)))
    x_bad = np.full((2, 5), np.inf)
    messages = []
    for model in fitted:
        with pytest.raises(ValueError) as error:
            model.predict(x_bad)
        messages.append(str(error.value))
    assert messages[0] == messages[1]


def test_an_integer_seed_gives_the_generator_state_of_random_state_and_stays_an_integer():
    x, y = _data(6)
    tree = PrecheckedTree(max_features=2, random_state=np.int64(11)).fit(x, y)
    _same_tree(tree, DecisionTreeRegressor(max_features=2, random_state=11).fit(x, y))
    assert tree.random_state == 11 and type(tree.random_state) is np.int64
    # a re-seeded generator is in RandomState(seed)'s state, whatever it drew before
    reseeded_generator(0).normal(size=3)  # an odd count leaves a cached Gaussian behind
    a, b = reseeded_generator(5), np.random.RandomState(5)
    assert all(np.array_equal(u, v) for u, v in zip(a.get_state(), b.get_state(), strict=True))


def test_a_generator_passed_as_random_state_is_drawn_from_as_decision_tree_regressor_does():
    x, y = _data(7)
    ours_rng, theirs_rng = np.random.RandomState(3), np.random.RandomState(3)
    ours = PrecheckedTree(max_features=2, random_state=ours_rng).fit(x, y)
    theirs = DecisionTreeRegressor(max_features=2, random_state=theirs_rng).fit(x, y)
    _same_tree(ours, theirs)
    assert ours.random_state is ours_rng
    assert ours_rng.randint(0, 2**31) == theirs_rng.randint(0, 2**31)  # advanced alike
