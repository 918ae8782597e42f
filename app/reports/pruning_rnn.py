"""The recurrent pruning report (paper §4.2): accuracy vs percent pruned, safe compression.

Writes, under ``<out>/figures/pruning-rnn/``:

- ``accuracy_vs_percent.png``: one panel per cell type (rows) × target (columns), test
  accuracy vs p, one line per re-training budget (mean over seeds, band ± one std), the base
  model's mean accuracy dashed;
- ``safe_compression.md``: per cell and target the largest p whose accuracy without
  re-training stays within one point of the base (mean ± std over seeds, n), the paper's value
  beside it, and the fewest re-training epochs that recover at p = 90 and p = 100;
- ``accuracy.md``: the curves' numbers (mean ± std, n) for the record.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import polars as pl

from analytics.rnn_pruning import (
    DEFAULT_TOLERANCE,
    accuracy_curves,
    recovery_epochs,
    safe_compression,
)
from app.reports.paper_values import PAPER_RNN_RECOVERS_AT_100, PAPER_RNN_SAFE_PERCENT
from app.reports.plotting import pyplot
from app.reports.registry import ReportOutput, register_report
from warehouse.queries_pruning_rnn import rnn_pruning_steps, rnn_pruning_studies

__all__ = ["pruning_rnn_report", "safe_compression_markdown"]

_CELLS = ("tanh", "relu", "lstm", "gru")
_TARGETS = ("i2h", "h2h", "both")


@register_report("pruning-rnn")
def pruning_rnn_report(
    db: str | os.PathLike | None, *, out: Path, study: str | None = None
) -> ReportOutput:
    """Write the figure and tables of ``study`` (default: the newest recurrent pruning study).

    Raises
    ------
    LookupError
        No recurrent pruning study in the warehouse, or ``study`` is not one.
    """
    study = _study(db, study)
    steps = rnn_pruning_steps(db, study=study)
    curves = accuracy_curves(steps)
    safe = safe_compression(steps, tolerance=DEFAULT_TOLERANCE)
    recovery = recovery_epochs(steps, tolerance=DEFAULT_TOLERANCE)
    files = [_figure(steps, curves, out / "accuracy_vs_percent.png", study=study)]
    table = out / "safe_compression.md"
    table.write_text(safe_compression_markdown(safe, recovery, steps, study=study), "utf-8")
    numbers = out / "accuracy.md"
    numbers.write_text(_curves_markdown(curves, study=study), "utf-8")
    files += [table, numbers]
    seeds = sorted(steps["seed"].unique().to_list())
    summary = [f"study {study}: {steps.height} step networks, seeds {seeds}"] + [
        f"  {row['cell']}/{row['target']}: safe p = {_mean_std(row)} (paper "
        f"{_paper_safe(row['cell'], row['target'])})"
        for row in safe.iter_rows(named=True)
    ]
    return ReportOutput(files=files, summary=summary)


def safe_compression_markdown(
    safe: pl.DataFrame, recovery: pl.DataFrame, steps: pl.DataFrame, *, study: str
) -> str:
    """The safe-compression table: ours (mean ± std over n seeds) / paper, and recovery."""
    seeds = sorted(steps["seed"].unique().to_list())
    base = steps.group_by("cell").agg(
        mean=pl.col("base_acc").mean(), std=pl.col("base_acc").std(ddof=1)
    )
    base_text = {
        row["cell"]: f"{row['mean']:.3f}" + (f" ± {row['std']:.3f}" if row["std"] else "")
        for row in base.iter_rows(named=True)
    }
    lines = [
        f"Study `{study}`, seeds {seeds} (n = {len(seeds)} per cell): largest p (percent of the "
        f"target's weights pruned, no re-training) whose test accuracy — and that of every "
        f"smaller p — stays within {DEFAULT_TOLERANCE * 100:g} point of the base model; mean ± "
        "std over seeds [min, max]. `recover@p`: fewest re-training epochs back within that "
        "point at p, per seed (`–`: not within the budgets tried); paper at 100 %: whether it "
        "recovers in one epoch.",
        "",
        "| cell (base acc) | target | safe p, ours | safe p, paper | recover@90 | recover@100 |"
        " paper recovers@100 |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in safe.sort(_order("cell", _CELLS), _order("target", _TARGETS)).iter_rows(named=True):
        cell, target = row["cell"], row["target"]
        paper_recovers = PAPER_RNN_RECOVERS_AT_100.get(target, {}).get(cell)
        lines.append(
            f"| {cell} ({base_text.get(cell, '–')}) | {target} | {_mean_std(row)} "
            f"[{row['safe_percent_min']:g}, {row['safe_percent_max']:g}] | "
            f"{_paper_safe(cell, target)} | {_recovery(recovery, cell, target, 90)} | "
            f"{_recovery(recovery, cell, target, 100)} | "
            f"{'–' if paper_recovers is None else ('yes' if paper_recovers else 'no')} |"
        )
    return "\n".join(lines) + "\n"


def _curves_markdown(curves: pl.DataFrame, *, study: str) -> str:
    budgets = sorted(curves["retrain_epochs"].unique().to_list())
    lines = [
        f"Test accuracy, study `{study}`: mean ± std over seeds (n) per re-training budget.",
        "",
        "| cell | target | p | " + " | ".join(f"{e} epochs" for e in budgets) + " |",
        "|---|---|---|" + "---|" * len(budgets),
    ]
    wide = curves.sort(_order("cell", _CELLS), _order("target", _TARGETS), "percent")
    for (cell, target, percent), part in wide.group_by(
        "cell", "target", "percent", maintain_order=True
    ):
        by_budget = {r["retrain_epochs"]: r for r in part.iter_rows(named=True)}
        cells = [
            _acc(by_budget[e]) if e in by_budget else "–"
            for e in budgets
        ]  # fmt: skip
        lines.append(f"| {cell} | {target} | {percent:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _figure(steps: pl.DataFrame, curves: pl.DataFrame, path: Path, *, study: str) -> Path:
    plt = pyplot()
    cells = [c for c in _CELLS if c in steps["cell"].unique().to_list()]
    targets = [t for t in _TARGETS if t in steps["target"].unique().to_list()]
    budgets = sorted(curves["retrain_epochs"].unique().to_list())
    fig, axes = plt.subplots(
        len(cells), len(targets), figsize=(3.3 * len(targets), 2.6 * len(cells)),
        sharex=True, sharey=True, squeeze=False,
    )  # fmt: skip
    seeds = steps["seed"].n_unique()
    for i, cell in enumerate(cells):
        base = steps.filter(pl.col("cell") == cell)["base_acc"].mean()
        for j, target in enumerate(targets):
            ax = axes[i, j]
            for budget in budgets:
                part = curves.filter(
                    (pl.col("cell") == cell) & (pl.col("target") == target)
                    & (pl.col("retrain_epochs") == budget)
                ).sort("percent")  # fmt: skip
                x = part["percent"].to_numpy()
                mean = part["acc_mean"].to_numpy()
                std = np.nan_to_num(part["acc_std"].to_numpy(), nan=0.0)
                ax.plot(x, mean, marker="o", markersize=3, label=f"{budget} re-training epochs")
                ax.fill_between(x, mean - std, mean + std, alpha=0.2)
            ax.axhline(base, color="gray", linestyle="--", linewidth=1)
            ax.set_title(f"{cell} — {target}", fontsize=9)
            if i == len(cells) - 1:
                ax.set_xlabel("p (% of target weights pruned)")
            if j == 0:
                ax.set_ylabel("test accuracy")
    axes[0, 0].legend(fontsize=7, loc="lower left")
    fig.suptitle(
        f"Recurrent pruning — {study} (mean ± std over {seeds} seeds; dashed: base)", fontsize=10
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _recovery(recovery: pl.DataFrame, cell: str, target: str, percent: float) -> str:
    part = recovery.filter(
        (pl.col("cell") == cell) & (pl.col("target") == target) & (pl.col("percent") == percent)
    ).sort("seed")
    if part.is_empty():
        return "–"
    return ", ".join("–" if e is None else str(e) for e in part["recovery_epochs"].to_list())


def _mean_std(row: dict) -> str:
    std = row["safe_percent_std"]
    return f"{row['safe_percent_mean']:.0f}" + ("" if std is None else f" ± {std:.0f}")


def _acc(row: dict) -> str:
    std = row["acc_std"]
    return f"{row['acc_mean']:.3f}" + ("" if std is None else f" ± {std:.3f}") + f" ({row['n']})"


def _paper_safe(cell: str, target: str) -> str:
    value = PAPER_RNN_SAFE_PERCENT.get(target, {}).get(cell)
    return "–" if value is None else f"~{value:g}"


def _order(column: str, order: tuple[str, ...]) -> pl.Expr:
    return pl.col(column).replace_strict(
        {name: k for k, name in enumerate(order)}, default=len(order), return_dtype=pl.Int32
    )


def _study(db: str | os.PathLike | None, study: str | None) -> str:
    """``study`` checked to hold recurrent pruning runs, or the newest such study."""
    known = rnn_pruning_studies(db)["study_id"].to_list()
    if study is not None and study not in known:
        raise LookupError(
            f"No pruning-rnn study {study!r} in this warehouse; recurrent pruning studies: "
            f"{', '.join(known) or 'none (run `sparsescope study prune-rnn`)'}."
        )
    if not known:
        raise LookupError(
            "No pruning-rnn (recurrent pruning) study in this warehouse: run "
            "`sparsescope study prune-rnn`."
        )
    return study or known[0]
