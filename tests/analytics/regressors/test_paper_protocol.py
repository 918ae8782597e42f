"""The paper's split, against scikit-learn called the way the paper's script called it."""

import numpy as np
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import BayesianRidge
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

from analytics.regressors import paper_r2
from analytics.regressors.paper_protocol import paper_test_rows


def _data(n=50):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(n, 4)) * [1, 10, 100, 0.1]
    return x, x[:, 0] + 0.01 * x[:, 2] + rng.normal(scale=0.3, size=n)


def _as_the_paper(x, y, model):
    scaled = MinMaxScaler().fit_transform(x)
    x_train, x_test, y_train, y_test = train_test_split(scaled, y, test_size=0.1, random_state=7)
    return model.fit(x_train, y_train).score(x_test, y_test)


@pytest.mark.parametrize(
    ("name", "model"),
    [("bayesian_ridge", BayesianRidge()),
     ("random_forest", RandomForestRegressor(n_estimators=200, random_state=5, n_jobs=1))],
)  # fmt: skip
def test_paper_r2_is_the_papers_computation(name, model):
    x, y = _data()
    assert paper_r2(x, y, regressor=name, seed=5) == pytest.approx(
        _as_the_paper(x, y, model), abs=1e-9
    )


def test_the_row_order_matters_and_the_test_part_size():
    x, y = _data()
    order = np.random.default_rng(0).permutation(len(y))
    assert abs(paper_r2(x, y, regressor="bayesian_ridge") - paper_r2(
        x[order], y[order], regressor="bayesian_ridge"
    )) > 1e-6  # fmt: skip
    assert [paper_test_rows(n) for n in (200, 199, 45)] == [20, 20, 5]
