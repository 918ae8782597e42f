"""Correlation tables against hand-computed values and independent formulas."""

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats

from analytics.correlation import _adjust, correlation_table


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    n = 60
    x = rng.normal(size=n)
    return pl.DataFrame(
        {
            "cell": ["gru"] * 30 + ["tanh"] * 30,
            "signal": x,
            "noise": rng.normal(size=n),
            "weak": x + rng.normal(scale=3, size=n),
            "constant": np.ones(n),
            "acc": 2 * x + rng.normal(scale=0.5, size=n),
        }
    )


def _t_test_p(r: float, n: int) -> float:
    """Two-sided p-value of a correlation r on n pairs: t = r sqrt((n-2) / (1-r²)), df n-2."""
    t = r * math.sqrt((n - 2) / (1 - r * r))
    return 2 * stats.t.sf(abs(t), n - 2)


def _bh(p: list[float]) -> list[float]:
    """Benjamini–Hochberg step-up, written out: min over j >= i of p_(j) m / j."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    adjusted, running = [0.0] * m, 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * m / rank)
        adjusted[i] = running
    return adjusted


def test_benjamini_hochberg_on_hand_computed_values():
    rows = [{"p": v} for v in (0.01, 0.04, 0.03, 0.005, float("nan"))]
    _adjust(rows, "p", "p_adj")
    adjusted = [r["p_adj"] for r in rows]
    # sorted .005 .01 .03 .04 -> ×4/1 ×4/2 ×4/3 ×4/4 = .02 .02 .04 .04 (already monotone);
    # the undefined p-value takes no part in the family (m = 4, not 5).
    assert adjusted[:4] == pytest.approx([0.02, 0.04, 0.04, 0.02], abs=1e-15)
    assert math.isnan(adjusted[4])


def test_pearson_and_spearman_on_a_tiny_example_by_hand():
    tiny = pl.DataFrame({"x": [1.0, 2, 3, 4, 5, 6], "y": [2.0, 1, 4, 3, 6, 5]})
    row = correlation_table(tiny, target="y", features=["x"]).row(0, named=True)
    # Ranks equal the values; d = (-1, 1, -1, 1, -1, 1): rho = 1 - 6 * 6 / (6 * 35) = 29/35.
    assert row["spearman_rho"] == pytest.approx(29 / 35, abs=1e-12)
    assert row["spearman_p"] == pytest.approx(_t_test_p(29 / 35, 6), rel=1e-9)
    # Pearson: centred products sum to 14.5, squares to 17.5 each (the same 29/35: the values
    # are their own ranks).
    assert row["pearson_r"] == pytest.approx(14.5 / 17.5, abs=1e-12)
    assert row["pearson_p"] == pytest.approx(_t_test_p(14.5 / 17.5, 6), rel=1e-9)


def test_values_and_p_values_per_group_against_numpy_and_the_t_distribution(frame):
    table = correlation_table(frame, target="acc", features=["signal", "noise"], by="cell")
    assert table["group"].to_list() == ["gru", "gru", "tanh", "tanh"]
    part = frame.filter(pl.col("cell") == "tanh")
    row = table.filter((pl.col("group") == "tanh") & (pl.col("feature") == "noise")).row(
        0, named=True
    )
    r = np.corrcoef(part["noise"], part["acc"])[0, 1]
    assert row["pearson_r"] == pytest.approx(r, abs=1e-12)
    assert row["pearson_p"] == pytest.approx(_t_test_p(r, 30), rel=1e-9)
    ranks = [stats.rankdata(part[c]) for c in ("noise", "acc")]
    rho = np.corrcoef(*ranks)[0, 1]
    assert row["spearman_rho"] == pytest.approx(rho, abs=1e-12)
    assert row["spearman_p"] == pytest.approx(_t_test_p(rho, 30), rel=1e-9)
    assert row["n"] == 30


def test_the_adjustment_family_is_one_group_and_one_method(frame):
    features = ["signal", "noise", "weak"]
    table = correlation_table(frame, target="acc", features=features, by="cell")
    for group in ("gru", "tanh"):
        part = table.filter(pl.col("group") == group)
        for method in ("pearson", "spearman"):
            expected = _bh(part[f"{method}_p"].to_list())
            assert part[f"{method}_p_adj"].to_list() == pytest.approx(expected, rel=1e-12)
    across = _bh(table["pearson_p"].to_list())  # what one family over both groups would give
    assert not np.allclose(table["pearson_p_adj"].to_list(), across, rtol=1e-6)


def test_constant_features_and_missing_values(frame):
    with_gaps = frame.with_columns(
        pl.when(pl.int_range(pl.len()) < 10).then(None).otherwise(pl.col("signal")).alias("signal")
    )
    table = correlation_table(with_gaps, target="acc", features=["signal", "constant"])
    signal, constant = table.rows(named=True)
    assert signal["n"] == 50
    assert math.isnan(constant["pearson_r"]) and math.isnan(constant["pearson_p_adj"])
    assert signal["pearson_p_adj"] == signal["pearson_p"]  # a family of one


def test_bad_columns_are_named(frame):
    with pytest.raises(KeyError, match="missing_col"):
        correlation_table(frame, target="acc", features=["missing_col"])
    with pytest.raises(TypeError, match="'cell' must be numeric"):
        correlation_table(frame, target="acc", features=["cell"])
