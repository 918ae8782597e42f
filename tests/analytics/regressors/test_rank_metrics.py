"""Rank agreement metrics against values computed by hand."""

import math

import pytest

from analytics.regressors import kendall_tau, precision_at_top, rank_metrics, spearman_pred


def test_one_swapped_pair_of_four():
    y, predicted = [1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 2.0, 4.0]
    # 6 pairs, 5 concordant, 1 discordant: tau = (5 - 1) / 6.
    assert kendall_tau(y, predicted) == pytest.approx(4 / 6, abs=1e-12)
    # rank differences 0, -1, 1, 0: rho = 1 - 6 * 2 / (4 * (16 - 1)) = 0.8.
    assert spearman_pred(y, predicted) == pytest.approx(0.8, abs=1e-12)


def test_tau_b_with_ties():
    # y has one tied pair; 5 untied pairs: 4 concordant, 1 discordant (rows 1, 3... below).
    y, predicted = [1.0, 1.0, 2.0, 3.0], [1.0, 2.0, 4.0, 3.0]
    # pairs (0,2) (0,3) (1,2) (1,3) concordant, (2,3) discordant, (0,1) tied in y only:
    # tau_b = (4 - 1) / sqrt((6 - 1) * (6 - 0)).
    assert kendall_tau(y, predicted) == pytest.approx(3 / math.sqrt(30), abs=1e-12)


def test_precision_at_10pct_counts_the_true_top_rows_found():
    y = [float(i) for i in range(20)]  # true top 10% (k = 2): rows 19 and 18
    predicted = list(y)
    assert precision_at_top(y, predicted) == 1.0
    predicted[18], predicted[5] = 0.0, 100.0  # predicted top 2: rows 5 and 19
    assert precision_at_top(y, predicted) == 0.5
    reversed_ = [-v for v in y]
    assert precision_at_top(y, reversed_) == 0.0
    # 25 rows: k = ceil(2.5) = 3; predictions find 2 of the true top 3 (rows 24, 23, 22).
    y25 = [float(i) for i in range(25)]
    guess = [*y25[:22], -1.0, 30.0, 31.0]
    guess[0] = 29.0
    assert precision_at_top(y25, guess) == pytest.approx(2 / 3)


def test_constant_inputs_give_nan_and_bad_fractions_are_refused():
    assert math.isnan(kendall_tau([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]))
    assert math.isnan(spearman_pred([1.0, 2.0, 3.0], [5.0, 5.0, 5.0]))
    with pytest.raises(ValueError, match="'fraction' parameter of precision_at_top"):
        precision_at_top([1.0, 2.0], [1.0, 2.0], fraction=0)
    with pytest.raises(ValueError, match="same length"):
        rank_metrics([1.0, 2.0], [1.0, 2.0, 3.0])
