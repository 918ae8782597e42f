"""annotate_correlations, at_chance and linear_trend against hand-built data and numpy/scipy."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from analytics.chance import at_chance
from analytics.correlation import correlation_table
from analytics.correlation_notes import annotate_correlations
from analytics.trend import linear_trend


def test_notes_significance_and_empty_groups():
    frame = pl.DataFrame({
        "g": ["a"] * 6 + ["b"] * 2 + ["c"] * 3,
        "x": [1.0, 2, 3, 4, 5, 6, 1, 2, 1, 2, 3],
        "k": [2.0] * 6 + [1, 2, 1, 2, 3],
        "y": [1.0, 2.1, 2.9, 4.2, 5.0, 6.1, 1, 2, None, None, None],
    })  # fmt: skip
    table = correlation_table(frame, target="y", features=["x", "k"], by="g")
    notes = annotate_correlations(table, frame, target="y", by="g")
    assert set(notes["group"]) == {"a", "b"}  # c has no y at all
    by_key = {(r["group"], r["feature"]): r for r in notes.iter_rows(named=True)}
    assert by_key["a", "k"]["note"] == "constant in this group"
    assert by_key["b", "x"]["note"] == "only 2 networks (need 3)"
    assert by_key["a", "x"]["note"] == "" and by_key["a", "x"]["pearson_significant"]
    assert not by_key["a", "k"]["pearson_significant"]
    with pytest.raises(ValueError, match="'alpha' parameter"):
        annotate_correlations(table, frame, target="y", by="g", alpha=1.5)


def test_at_chance_applies_the_stated_rule():
    frame = pl.DataFrame({"test_acc": [0.48, 0.479, 0.52, 0.6, None], "loss": [0.5] * 5})
    assert at_chance(frame, target="test_acc").to_list() == [True, False, True, False, False]
    assert not at_chance(frame, target="loss").any()  # not an accuracy


def test_linear_trend_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=40)
    y = 3 * x + rng.normal(size=40)
    trend = linear_trend(list(x) + [math.nan], list(y) + [1.0])
    slope, intercept = np.polyfit(x, y, 1)
    assert (trend.slope, trend.intercept) == pytest.approx((slope, intercept))
    assert trend.r == pytest.approx(np.corrcoef(x, y)[0, 1]) and trend.n == 40
    assert linear_trend([1.0, 1, 1], [1.0, 2, 3]) is None
