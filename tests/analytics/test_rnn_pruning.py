"""Curves, safe compression and recovery of the recurrent pruning study, on hand-made steps."""

import numpy as np
import polars as pl
import pytest

from analytics.rnn_pruning import accuracy_curves, recovery_epochs, safe_compression


def _steps(rows):
    """rows: (cell, seed, target, percent, retrain_epochs, acc_after); base accuracy 0.98."""
    frame = pl.DataFrame(
        rows, schema=["cell", "seed", "target", "percent", "retrain_epochs", "acc_after"],
        orient="row",
    )  # fmt: skip
    return frame.with_columns(base_acc=pl.lit(0.98))


STEPS = _steps(
    [
        ("gru", 0, "h2h", 10.0, 0, 0.98), ("gru", 0, "h2h", 20.0, 0, 0.975),
        ("gru", 0, "h2h", 30.0, 0, 0.90), ("gru", 0, "h2h", 40.0, 0, 0.98),  # back up: not safe
        ("gru", 1, "h2h", 10.0, 0, 0.99), ("gru", 1, "h2h", 20.0, 0, 0.98),
        ("gru", 1, "h2h", 30.0, 0, 0.97), ("gru", 1, "h2h", 40.0, 0, 0.60),
        ("gru", 0, "h2h", 30.0, 1, 0.96), ("gru", 0, "h2h", 30.0, 2, 0.975),
        ("gru", 1, "h2h", 40.0, 1, 0.50), ("gru", 1, "h2h", 40.0, 2, 0.55),
        ("tanh", 0, "both", 10.0, 0, 0.50),  # drops at the first p: safe p = 0
    ]
)  # fmt: skip


def test_safe_p_is_the_last_p_of_the_prefix_within_tolerance_mean_and_std_over_seeds():
    safe = safe_compression(STEPS, tolerance=0.01).sort("cell")
    gru = safe.row(0, named=True)
    # seed 0: 10, 20 within 0.01 of 0.98, 30 not -> 20 (40 is back within but after a drop);
    # seed 1: 10, 20, 30 within -> 30
    assert (gru["safe_percent_min"], gru["safe_percent_max"], gru["n"]) == (20.0, 30.0, 2)
    assert gru["safe_percent_mean"] == 25.0
    assert gru["safe_percent_std"] == pytest.approx(np.std([20, 30], ddof=1))
    tanh = safe.row(1, named=True)
    assert (tanh["safe_percent_mean"], tanh["n"]) == (0.0, 1)
    assert tanh["safe_percent_std"] is None  # one seed: no spread to report


def test_recovery_is_the_fewest_epochs_back_within_tolerance_or_null():
    recovery = recovery_epochs(STEPS, tolerance=0.01)
    at = {(r["seed"], r["percent"]): r["recovery_epochs"] for r in recovery.iter_rows(named=True)
          if r["cell"] == "gru"}  # fmt: skip
    assert at[(0, 30.0)] == 2 and at[(0, 10.0)] == 0
    assert at[(1, 40.0)] is None


def test_curves_are_numpy_mean_and_sample_std_over_seeds():
    curves = accuracy_curves(STEPS)
    row = curves.filter(
        (pl.col("cell") == "gru") & (pl.col("percent") == 30.0) & (pl.col("retrain_epochs") == 0)
    ).row(0, named=True)
    assert row["acc_mean"] == pytest.approx(np.mean([0.90, 0.97]))
    assert row["acc_std"] == pytest.approx(np.std([0.90, 0.97], ddof=1))
    assert row["n"] == 2


@pytest.mark.parametrize("tolerance", [1.5, -0.1, "1", True])
def test_a_tolerance_outside_0_1_is_refused_naming_it(tolerance):
    with pytest.raises(ValueError, match="'tolerance' parameter of safe_compression"):
        safe_compression(STEPS, tolerance=tolerance)
