"""Search curves of the architecture-search study: best accuracy found per training spent.

Pure functions over the candidate frame of :func:`warehouse.queries_nas.search_candidates`.
Only *measured* candidates count as found: a predicted score is never an accuracy.
"""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = [
    "best_so_far",
    "curve_summary",
    "generation_summary",
    "search_summary",
    "trainings_to_reach",
]


def best_so_far(candidates: pl.DataFrame) -> pl.DataFrame:
    """Per run (``strategy``, ``seed``) and training: the best measured validation accuracy so
    far and the test accuracy of that best candidate (``query``, ``best_validation_acc``,
    ``best_test_acc``), one row per measured candidate in query order."""
    measured = candidates.filter(pl.col("scored_by") == "measured").sort(
        "strategy", "seed", "query"
    )
    rows = []
    for (strategy, seed), run in measured.group_by("strategy", "seed", maintain_order=True):
        best_valid, best_test = -np.inf, np.nan
        for query, valid, test in run.select("query", "validation_acc", "test_acc").iter_rows():
            if valid > best_valid:
                best_valid, best_test = valid, test
            rows.append((strategy, seed, query, best_valid, best_test))
    schema = {"strategy": pl.String, "seed": pl.Int64, "query": pl.Int64,
              "best_validation_acc": pl.Float64, "best_test_acc": pl.Float64}  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def curve_summary(curves: pl.DataFrame) -> pl.DataFrame:
    """Mean, min and max over seeds of the best-so-far validation accuracy per strategy and
    training (``runs`` says how many seeds reached that many trainings)."""
    return (
        curves.group_by("strategy", "query")
        .agg(
            pl.col("best_validation_acc").mean().alias("mean"),
            pl.col("best_validation_acc").min().alias("low"),
            pl.col("best_validation_acc").max().alias("high"),
            pl.len().alias("runs"),
        )
        .sort("strategy", "query")
    )


def generation_summary(candidates: pl.DataFrame) -> pl.DataFrame:
    """Best and median validation score per ``strategy``, ``generation`` and ``scored_by``.

    Measured candidates are scored by their measured accuracy, predicted ones by their
    prediction; the two are kept apart (``scored_by``) so a prediction is never read as an
    accuracy. Pooled over seeds: ``best`` is the highest score of that generation over every
    run, ``median`` the median of all its candidates, ``candidates`` how many there were.
    """
    score = pl.when(pl.col("scored_by") == "measured").then(pl.col("validation_acc"))
    score = score.otherwise(pl.col("validation_predicted_acc"))
    return (
        candidates.with_columns(score=score)
        .filter(pl.col("score").is_not_null() & pl.col("generation").is_not_null())
        .group_by("strategy", "generation", "scored_by")
        .agg(
            pl.col("score").max().alias("best"),
            pl.col("score").median().alias("median"),
            pl.len().alias("candidates"),
        )
        .sort("strategy", "scored_by", "generation")
    )


def trainings_to_reach(curves: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Per run: the trainings spent when the best validation accuracy first reached
    ``threshold`` (null: never within the budget)."""
    reached = (
        curves.filter(pl.col("best_validation_acc") >= threshold)
        .group_by("strategy", "seed")
        .agg(pl.col("query").min().alias("trainings"))
    )
    runs = curves.select("strategy", "seed").unique()
    return runs.join(reached, on=["strategy", "seed"], how="left").sort("strategy", "seed")


def search_summary(
    curves: pl.DataFrame, *, target: float, baseline: str, seed: int = 0, resamples: int = 10_000
) -> pl.DataFrame:
    """Per strategy: runs, budget, mean final best validation / test accuracy, and the
    trainings needed to reach ``target``.

    A run that never reached ``target`` counts as its whole budget (so the mean is then a
    lower bound; ``reached`` says how often it was reached). ``speedup`` is the ``baseline``
    strategy's mean trainings over this strategy's, with a 95% percentile-bootstrap interval
    (``speedup_low`` / ``speedup_high``; both strategies' runs resampled independently, seeded
    by ``seed``).
    """
    finals = curves.group_by("strategy", "seed").agg(pl.all().sort_by("query").last())
    budgets = curves.group_by("strategy", "seed").agg(pl.col("query").max().alias("budget"))
    needed = trainings_to_reach(curves, target).join(budgets, on=["strategy", "seed"])
    needed = needed.with_columns(
        reached=pl.col("trainings").is_not_null(),
        cost=pl.coalesce("trainings", "budget").cast(pl.Float64),
    )
    costs = {s: part["cost"].to_numpy() for (s,), part in needed.group_by("strategy")}
    rows = []
    for strategy in sorted(costs):
        mine = finals.filter(pl.col("strategy") == strategy)
        low = high = ratio = np.nan
        if baseline in costs:
            ratio = costs[baseline].mean() / costs[strategy].mean()
            low, high = _ratio_interval(costs[baseline], costs[strategy], seed, resamples)
        rows.append({
            "strategy": strategy, "runs": mine.height,
            "budget": int(needed.filter(pl.col("strategy") == strategy)["budget"].max()),
            "best_validation_acc": float(mine["best_validation_acc"].mean()),
            "best_test_acc": float(mine["best_test_acc"].mean()),
            "trainings_to_target": float(costs[strategy].mean()),
            "reached": float(needed.filter(pl.col("strategy") == strategy)["reached"].mean()),
            "speedup": ratio, "speedup_low": low, "speedup_high": high,
        })  # fmt: skip
    return pl.DataFrame(rows)


def _ratio_interval(baseline: np.ndarray, costs: np.ndarray, seed: int, resamples: int):
    from scipy import stats

    if np.ptp(baseline) == 0 and np.ptp(costs) == 0:
        value = baseline.mean() / costs.mean()
        return value, value

    def ratio(a, b, axis=-1):
        return np.mean(a, axis=axis) / np.mean(b, axis=axis)

    result = stats.bootstrap((baseline, costs), ratio, n_resamples=resamples, method="percentile",
                             paired=False, vectorized=True,
                             random_state=np.random.default_rng(seed))  # fmt: skip
    return float(result.confidence_interval.low), float(result.confidence_interval.high)
