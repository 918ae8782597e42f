"""Search curves of the architecture-search study: best accuracy found per training spent.

Pure functions over the candidate frame of :func:`warehouse.queries_nas.search_candidates`.
Only *measured* candidates count as found: a predicted score is never an accuracy.
"""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = ["best_so_far", "curve_summary", "trainings_to_reach"]


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
