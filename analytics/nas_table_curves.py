"""Search curves of the NAS-Bench-Graph table search: queries vs best found, per strategy.

Each stored run (:func:`warehouse.queries_nas.table_search_runs`) keeps only the queries at
which its best measured ``valid_perf`` improved; :func:`curve_bands` reads the step curve at a
grid of query counts (a run holds its best until its next improvement, and after it stopped —
runs stop once they reach their target, so a stopped run's value is its target-reaching best)
and gives per strategy and grid point the mean over runs with a 95% percentile-bootstrap
interval over runs (scipy.stats.bootstrap, seeded).
"""

from __future__ import annotations

import json

import numpy as np
import polars as pl
from scipy import stats

__all__ = ["curve_bands", "query_grid", "step_values"]


def query_grid(budget: int, points: int = 60) -> np.ndarray:
    """About ``points`` distinct query counts from 1 to ``budget``, spaced evenly on a log
    scale (search curves change fastest early)."""
    if budget < 1:
        raise ValueError(f"The 'budget' parameter of query_grid must be >= 1. Got {budget}.")
    return np.unique(np.geomspace(1, budget, num=points).round().astype(int))


def step_values(curve: list[list[float]], grid: np.ndarray) -> np.ndarray:
    """The best found after each grid query count (NaN before the run's first query)."""
    if not curve:
        return np.full(grid.shape, np.nan)
    queries = np.array([q for q, _ in curve], dtype=float)
    best = np.array([b for _, b in curve], dtype=float)
    index = np.searchsorted(queries, grid, side="right") - 1
    return np.where(index >= 0, best[np.clip(index, 0, None)], np.nan)


def curve_bands(
    runs: pl.DataFrame, *, points: int = 60, seed: int = 0, resamples: int = 2000
) -> pl.DataFrame:
    """Per ``strategy`` and grid ``query``: ``mean`` best found over runs, ``low`` / ``high``
    (95% percentile bootstrap over runs; equal to the mean when every run agrees) and ``runs``.

    ``runs`` has ``strategy``, ``budget`` and ``curve`` (JSON text or lists).
    """
    if runs.is_empty():
        names = ("strategy", "query", "mean", "low", "high", "runs")
        kinds = (pl.String, pl.Int64, pl.Float64, pl.Float64, pl.Float64, pl.Int64)
        return pl.DataFrame(schema=dict(zip(names, kinds, strict=True)))
    grid = query_grid(int(runs["budget"].max()), points)
    parts = []
    for (strategy,), part in sorted(runs.group_by("strategy"), key=lambda kv: kv[0]):
        curves = [json.loads(c) if isinstance(c, str) else c for c in part["curve"]]
        values = np.vstack([step_values(c, grid) for c in curves])  # (runs, grid)
        seen = ~np.isnan(values).any(axis=0)  # grid points every run has reached
        values = values[:, seen]
        mean = values.mean(axis=0)
        low, high = mean.copy(), mean.copy()
        varying = np.ptp(values, axis=0) > 0
        if varying.any() and values.shape[0] > 1:
            result = stats.bootstrap((values[:, varying],), np.mean, axis=0, vectorized=True,
                                     n_resamples=resamples, method="percentile",
                                     random_state=np.random.default_rng(seed))  # fmt: skip
            low[varying] = result.confidence_interval.low
            high[varying] = result.confidence_interval.high
        parts.append(pl.DataFrame({
            "strategy": strategy, "query": grid[seen].astype(np.int64), "mean": mean,
            "low": low, "high": high, "runs": values.shape[0],
        }).with_columns(pl.col("runs").cast(pl.Int64)))  # fmt: skip
    return pl.concat(parts)
