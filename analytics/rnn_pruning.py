"""What the recurrent pruning study shows (paper §4.2): curves, safe compression, recovery.

Input: one row per step network (:func:`warehouse.queries_pruning_rnn.rnn_pruning_steps`):
``cell``, ``seed``, ``target``, ``percent``, ``retrain_epochs``, ``acc_after`` and the base
model's ``base_acc``. Repeats are seeds; everything over seeds is mean ± std (sample std,
``ddof=1``; null with a single seed) with ``n`` seeds.

* :func:`accuracy_curves` — accuracy vs p per (cell, target, re-training epochs);
* :func:`safe_compression` — per (cell, seed, target) the largest p such that the accuracy
  without re-training at that p **and every smaller p** stays within ``tolerance`` of the base
  model's (0 when the first p already drops), then mean ± std over seeds;
* :func:`recovery_epochs` — per (cell, seed, target, p) the fewest re-training epochs whose
  accuracy is back within ``tolerance`` of the base (null: not within the budgets tried).

Example
-------
>>> import polars as pl
>>> steps = pl.DataFrame({"cell": ["gru"] * 3, "seed": [0] * 3, "target": ["h2h"] * 3,
...     "percent": [10.0, 20.0, 30.0], "retrain_epochs": [0, 0, 0],
...     "acc_after": [0.99, 0.97, 0.99], "base_acc": [1.0] * 3})
>>> safe_compression(steps, tolerance=0.01)["safe_percent_mean"].to_list()
[10.0]
"""

from __future__ import annotations

import polars as pl

__all__ = ["DEFAULT_TOLERANCE", "accuracy_curves", "recovery_epochs", "safe_compression"]

DEFAULT_TOLERANCE = 0.01
"""One accuracy point: the paper's "safe" pruning keeps the base model's accuracy."""


def accuracy_curves(steps: pl.DataFrame) -> pl.DataFrame:
    """Mean, std and n over seeds of the accuracy per (cell, target, retrain_epochs, percent)."""
    keys = ["cell", "target", "retrain_epochs", "percent"]
    return (
        steps.group_by(keys)
        .agg(
            acc_mean=pl.col("acc_after").mean(),
            acc_std=pl.col("acc_after").std(ddof=1),
            n=pl.col("seed").n_unique(),
        )
        .sort(keys)
    )


def safe_compression(steps: pl.DataFrame, *, tolerance: float = DEFAULT_TOLERANCE) -> pl.DataFrame:
    """Largest safe p per (cell, target): mean, std, min, max over seeds and n seeds.

    Raises
    ------
    ValueError
        ``tolerance`` is not a number in [0, 1].
    """
    _check_tolerance(tolerance, "safe_compression")
    per_seed = (
        steps.filter(pl.col("retrain_epochs") == 0)
        .sort("percent")
        .with_columns(
            kept=(pl.col("acc_after") >= pl.col("base_acc") - tolerance)
            .cum_min()
            .over("cell", "seed", "target")
        )
        .group_by("cell", "seed", "target")
        .agg(safe_percent=pl.col("percent").filter(pl.col("kept")).max().fill_null(0.0))
    )
    return (
        per_seed.group_by("cell", "target")
        .agg(
            safe_percent_mean=pl.col("safe_percent").mean(),
            safe_percent_std=pl.col("safe_percent").std(ddof=1),
            safe_percent_min=pl.col("safe_percent").min(),
            safe_percent_max=pl.col("safe_percent").max(),
            n=pl.len(),
        )
        .sort("cell", "target")
    )


def recovery_epochs(steps: pl.DataFrame, *, tolerance: float = DEFAULT_TOLERANCE) -> pl.DataFrame:
    """Fewest re-training epochs back within ``tolerance`` of the base, per (cell, seed,
    target, percent); null when no budget tried recovers.

    Raises
    ------
    ValueError
        ``tolerance`` is not a number in [0, 1].
    """
    _check_tolerance(tolerance, "recovery_epochs")
    recovered = pl.col("acc_after") >= pl.col("base_acc") - tolerance
    return (
        steps.group_by("cell", "seed", "target", "percent")
        .agg(recovery_epochs=pl.col("retrain_epochs").filter(recovered).min())
        .sort("cell", "seed", "target", "percent")
    )


def _check_tolerance(tolerance: float, where: str) -> None:
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float):
        ok = False
    else:
        ok = 0.0 <= tolerance <= 1.0
    if not ok:
        raise ValueError(
            f"The 'tolerance' parameter of {where} must be a number in [0, 1] (accuracy, not "
            f"percent points). Got {tolerance!r} instead."
        )
