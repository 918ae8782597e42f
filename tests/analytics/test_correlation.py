import math

import numpy as np
import polars as pl
import pytest
from scipy import stats

from analytics.correlation import correlation_table


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
            "constant": np.ones(n),
            "acc": 2 * x + rng.normal(scale=0.5, size=n),
        }
    )


def test_values_match_scipy_per_group(frame):
    table = correlation_table(frame, target="acc", features=["signal", "noise"], by="cell")
    assert table["group"].to_list() == ["gru", "gru", "tanh", "tanh"]
    part = frame.filter(pl.col("cell") == "tanh")
    row = table.filter((pl.col("group") == "tanh") & (pl.col("feature") == "signal")).row(
        0, named=True
    )
    expected = stats.pearsonr(part["signal"], part["acc"])
    assert row["pearson_r"] == pytest.approx(expected.statistic, abs=1e-12)
    assert row["pearson_p"] == pytest.approx(expected.pvalue, rel=1e-9)
    rho = stats.spearmanr(part["signal"], part["acc"])
    assert row["spearman_rho"] == pytest.approx(rho.statistic, abs=1e-12)
    assert row["n"] == 30


def test_benjamini_hochberg_adjustment(frame):
    table = correlation_table(frame, target="acc", features=["signal", "noise"])
    p = table["pearson_p"].to_list()
    expected = stats.false_discovery_control(p, method="bh")
    assert table["pearson_p_adj"].to_list() == pytest.approx(list(expected))
    assert all(a >= b for a, b in zip(table["pearson_p_adj"], table["pearson_p"], strict=True))


def test_constant_features_and_missing_values(frame):
    with_gaps = frame.with_columns(
        pl.when(pl.int_range(pl.len()) < 10).then(None).otherwise(pl.col("signal")).alias("signal")
    )
    table = correlation_table(with_gaps, target="acc", features=["signal", "constant"])
    signal, constant = table.rows(named=True)
    assert signal["n"] == 50
    assert math.isnan(constant["pearson_r"]) and math.isnan(constant["pearson_p_adj"])
    assert not math.isnan(signal["pearson_p_adj"])


def test_bad_columns_are_named(frame):
    with pytest.raises(KeyError, match="missing_col"):
        correlation_table(frame, target="acc", features=["missing_col"])
    with pytest.raises(TypeError, match="'cell' must be numeric"):
        correlation_table(frame, target="acc", features=["cell"])
