"""Search curves, trainings to a target and the speed-up, on hand-made runs with known answers."""

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats

from analytics.nas_importance import feature_ranking
from analytics.nas_search import best_so_far, generation_summary, search_summary


def candidates() -> pl.DataFrame:
    rows = []  # (strategy, seed, query, scored_by, validation_acc, test_acc)
    for seed, accs in ((0, [0.5, 0.9, 0.6, 0.8]), (1, [0.7, 0.6, 0.95, 0.9])):
        rows += [("re", seed, q + 1, "measured", a, a - 0.1) for q, a in enumerate(accs)]
    for seed, accs in ((0, [0.9, 0.4, 0.3, 0.2]), (1, [0.6, 0.92, 0.1, 0.1])):
        rows += [("fast", seed, q + 1, "measured", a, a - 0.05) for q, a in enumerate(accs)]
    rows.append(("fast", 0, 1, "predicted", None, None))  # never counts
    return pl.DataFrame(rows, orient="row", schema=["strategy", "seed", "query", "scored_by",
                                                    "validation_acc", "test_acc"])  # fmt: skip


def test_best_so_far_and_speedup_by_hand():
    curves = best_so_far(candidates())
    re0 = curves.filter((pl.col("strategy") == "re") & (pl.col("seed") == 0))
    assert re0["best_validation_acc"].to_list() == [0.5, 0.9, 0.9, 0.9]
    assert re0["best_test_acc"].to_list() == pytest.approx([0.4, 0.8, 0.8, 0.8])
    # target 0.9 (the lowest final best of re): re needs 2 and 3 trainings, fast 1 and 2
    summary = search_summary(curves, target=0.9, baseline="re", resamples=2000).sort("strategy")
    fast, re = summary.rows(named=True)
    assert (re["trainings_to_target"], fast["trainings_to_target"]) == (2.5, 1.5)
    assert fast["speedup"] == pytest.approx(2.5 / 1.5) and re["speedup"] == 1.0
    assert fast["best_validation_acc"] == pytest.approx((0.9 + 0.92) / 2)
    assert fast["speedup_low"] <= fast["speedup"] <= fast["speedup_high"]
    never = search_summary(curves, target=0.99, baseline="re")  # nobody reaches it: budgets
    assert never["trainings_to_target"].to_list() == [4.0, 4.0]
    assert never["reached"].to_list() == [0.0, 0.0]


def test_generation_summary_keeps_predictions_apart_by_hand():
    rows = [  # strategy, seed, generation, scored_by, measured, predicted
        ("g", 0, 0, "measured", 0.5, None), ("g", 0, 0, "measured", 0.7, None),
        ("g", 1, 0, "measured", 0.6, None), ("g", 0, 1, "measured", 0.9, None),
        ("g", 0, 1, "predicted", None, 0.99), ("g", 1, 1, "predicted", None, 0.8),
    ]  # fmt: skip
    frame = pl.DataFrame(rows, orient="row", schema=["strategy", "seed", "generation",
                         "scored_by", "validation_acc", "validation_predicted_acc"])  # fmt: skip
    got = {(r["generation"], r["scored_by"]): (r["best"], r["median"], r["candidates"])
           for r in generation_summary(frame).iter_rows(named=True)}  # fmt: skip
    assert got == {(0, "measured"): (0.7, 0.6, 3), (1, "measured"): (0.9, 0.9, 1),
                   (1, "predicted"): (0.99, pytest.approx(0.895), 2)}  # fmt: skip


def test_feature_ranking_correlations_match_scipy_and_skip_constant_features():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(size=40), rng.uniform(size=40)
    frame = pl.DataFrame({"a": a, "b": b, "constant": np.ones(40), "acc": 2 * a + 0.1 * b})
    ranking = feature_ranking(frame, target="acc", features=["a", "b", "constant"])
    assert ranking["feature"].to_list() == ["a", "b"]
    assert ranking["importance"].sum() == pytest.approx(1.0)
    row = ranking.row(0, named=True)
    assert row["pearson_r"] == pytest.approx(stats.pearsonr(a, 2 * a + 0.1 * b).statistic)
    assert not math.isnan(row["spearman_rho"])
