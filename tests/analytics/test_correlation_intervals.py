"""Bootstrap intervals of correlations against the Fisher z interval, on data with a known r."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from analytics.correlation import correlation_table
from analytics.correlation_intervals import correlation_intervals


@pytest.fixture
def frame():
    rng = np.random.default_rng(5)
    n = 400
    x = rng.normal(size=n)
    return pl.DataFrame({
        "x": x,
        "monotone": np.exp(x),  # a monotone function of the target: ρ = 1 in every resample
        "constant": np.ones(n),
        "with_gaps": np.where(np.arange(n) % 4 == 0, np.nan, rng.normal(size=n)),
        "y": x,
        "cell": np.where(np.arange(n) % 2 == 0, "gru", "tanh"),
    }).with_columns(y=pl.col("y") * 0.5 + pl.Series(rng.normal(size=n)))  # fmt: skip


def test_a_pearson_interval_agrees_with_fisher_z(frame):
    table = correlation_intervals(frame, target="y", features=["x"], n_resamples=2000)
    r = correlation_table(frame, target="y", features=["x"])["pearson_r"][0]
    half = 1.959964 / math.sqrt(frame.height - 3)
    fisher = (math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half))
    low, high = table["low"][0], table["high"][0]
    assert low < r < high
    assert low == pytest.approx(fisher[0], abs=0.02) and high == pytest.approx(fisher[1], abs=0.02)


def test_groups_n_constant_and_monotone_features(frame):
    features = ["x", "monotone", "constant", "with_gaps"]
    table = correlation_intervals(frame, target="x", features=features, by="cell",
                                  method="spearman", n_resamples=200)  # fmt: skip
    reference = correlation_table(frame, target="x", features=features, by="cell")
    assert table.select("group", "feature", "n").equals(reference.select("group", "feature", "n"))
    rows = {(r["group"], r["feature"]): r for r in table.iter_rows(named=True)}
    assert rows["gru", "monotone"]["low"] == pytest.approx(1.0) == rows["gru", "monotone"]["high"]
    assert math.isnan(rows["tanh", "constant"]["low"]) and math.isnan(
        rows["tanh", "constant"]["high"]
    )
    gaps = rows["gru", "with_gaps"]
    assert gaps["low"] < 0 < gaps["high"]  # independent noise: the interval holds 0


def test_the_intervals_are_reproducible_and_bad_options_are_refused(frame):
    one = correlation_intervals(frame, target="y", features=["x"], n_resamples=100, seed=3)
    assert one.equals(correlation_intervals(frame, target="y", features=["x"], n_resamples=100,
                                            seed=3))  # fmt: skip
    with pytest.raises(ValueError, match="'method' parameter .* Got 'kendall'"):
        correlation_intervals(frame, target="y", features=["x"], method="kendall")
    with pytest.raises(ValueError, match="'n_resamples'"):
        correlation_intervals(frame, target="y", features=["x"], n_resamples=5)
    with pytest.raises(KeyError, match="nope"):
        correlation_intervals(frame, target="y", features=["nope"])
