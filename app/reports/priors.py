"""The structural-priors report (paper §4.3): Figure 7 and Table 1 from a priors study.

Writes, under ``<out>/figures/priors/``:

- ``accuracy_by_generator.png``: test accuracy per generator, one panel per cell type (box and
  points), the layout of the paper's Figure 7;
- ``table1.png``: Pearson r of the paper's Table 1 properties with test accuracy, ours beside the
  paper's, ``*`` where the Benjamini–Hochberg adjusted p-value (within a cell type) is below 0.05;
- ``table1.md``: the same as a Markdown table with n per cell type, for ``docs/results.md``;
- ``regressors.md``: R² of the structural performance regressors per cell type — cross-validated
  and under the paper's protocol — beside the paper's (:mod:`app.reports.priors_regressors`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import polars as pl

from analytics.correlation import correlation_table
from analytics.meta_dataset import load_meta_dataset
from app.reports.paper_values import PAPER_TABLE1, PAPER_TABLE1_FEATURES
from app.reports.plotting import pyplot
from app.reports.priors_regressors import regressor_markdown, regressor_scores
from app.reports.registry import ReportOutput, register_report
from warehouse import queries

__all__ = ["SIGNIFICANCE", "priors_report", "table1_frame", "table1_markdown"]

SIGNIFICANCE = 0.05
"""BH-adjusted p-value below which a correlation is marked ``*``."""

_TARGET, _BY = "test_acc", "cell"
_CELL_ORDER = ("tanh", "relu", "lstm", "gru")


@register_report("priors")
def priors_report(
    db: str | os.PathLike | None, *, out: Path, study: str | None = None
) -> ReportOutput:
    """Write the priors figures, Table 1 and the regressor R² of ``study`` (default: the newest).

    Raises
    ------
    LookupError
        The warehouse has no priors study, ``study`` is not one, or it has no ``test_acc`` or no
        graph features.
    """
    study = _priors_study(db, study)
    meta = load_meta_dataset(db, study=study)
    if _TARGET not in meta.metrics:
        raise LookupError(f"Study {study} has no {_TARGET!r} metric; metrics: {meta.metrics}.")
    features = [f for f in PAPER_TABLE1 if f in meta.features_for(_TARGET)]
    if not features:
        raise LookupError(
            f"Study {study} has no graph features yet: run `sparsescope features` first."
        )
    frame = meta.frame.filter(pl.col(_TARGET).is_finite())
    table = table1_frame(frame, features=features)
    files = [
        _accuracy_figure(frame, out / "accuracy_by_generator.png", study=study),
        _table1_figure(table, out / "table1.png", study=study),
    ]
    markdown = out / "table1.md"
    markdown.write_text(table1_markdown(table, frame, study=study), encoding="utf-8")
    files.append(markdown)
    scores = regressor_scores(frame, features=meta.choose_features(_TARGET).features)
    regressors = out / "regressors.md"
    regressors.write_text(regressor_markdown(scores, study=study), encoding="utf-8")
    files.append(regressors)
    counts = frame.group_by(_BY).len().sort(_BY)
    summary = [f"study {study}: {frame.height} networks with {_TARGET}"] + [
        f"  {row[_BY]}: n = {row['len']}" for row in counts.iter_rows(named=True)
    ]
    return ReportOutput(files=files, summary=summary)


def table1_frame(frame: pl.DataFrame, *, features: list[str]) -> pl.DataFrame:
    """Long table: cell, feature, n, our r, its BH-adjusted p and the paper's r (NaN if none)."""
    table = correlation_table(frame, target=_TARGET, features=features, by=_BY)
    paper = pl.DataFrame(
        [
            {"group": cell, "feature": feature, "paper_r": r}
            for feature, by_cell in PAPER_TABLE1.items()
            for cell, r in by_cell.items()
        ]
    )
    return (
        table.select("group", "feature", "n", "pearson_r", "pearson_p_adj")
        .join(paper, on=["group", "feature"], how="left")
        .rename({"group": _BY})
    )


def table1_markdown(table: pl.DataFrame, frame: pl.DataFrame, *, study: str) -> str:
    """Table 1 as Markdown: one row per property, ``ours / paper`` per cell type."""
    cells = _cells(table)
    n = {row[_BY]: row["len"] for row in frame.group_by(_BY).len().iter_rows(named=True)}
    names = {column: paper for paper, column in PAPER_TABLE1_FEATURES.items()}
    header = "| property | " + " | ".join(f"{c} (n = {n.get(c, 0)})" for c in cells) + " |"
    lines = [
        f"Pearson r with test accuracy, study `{study}`: ours / paper; `*` = BH-adjusted "
        f"p < {SIGNIFICANCE} within the cell type.",
        "",
        header,
        "|---|" + "---|" * len(cells),
    ]
    for feature in dict.fromkeys(table["feature"].to_list()):
        row = [names.get(feature, feature)]
        for cell in cells:
            match = table.filter((pl.col(_BY) == cell) & (pl.col("feature") == feature))
            if match.is_empty():
                row.append("–")
                continue
            ours, p_adj, paper = match.row(0)[3:6]
            mark = "*" if p_adj is not None and p_adj < SIGNIFICANCE else ""
            row.append(f"{_number(ours)}{mark} / {_number(paper)}")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def _accuracy_figure(frame: pl.DataFrame, path: Path, *, study: str) -> Path:
    plt = pyplot()
    cells = [c for c in _CELL_ORDER if c in frame[_BY].unique().to_list()] or sorted(
        frame[_BY].unique().to_list()
    )
    generators = sorted(frame["generator"].drop_nulls().unique().to_list())
    fig, axes = plt.subplots(1, len(cells), figsize=(3.2 * len(cells), 3.6), sharey=True)
    axes = np.atleast_1d(axes)
    rng = np.random.default_rng(0)  # jitter only
    for ax, cell in zip(axes, cells, strict=True):
        part = frame.filter(pl.col(_BY) == cell)
        values = [part.filter(pl.col("generator") == g)[_TARGET].to_numpy() for g in generators]
        ax.boxplot(values, tick_labels=generators, showfliers=False)
        for i, v in enumerate(values, start=1):
            ax.scatter(i + rng.uniform(-0.15, 0.15, len(v)), v, s=10, alpha=0.6)
        ax.set_title(f"{cell} (n = {part.height})")
        ax.set_xlabel("generator")
    axes[0].set_ylabel("test accuracy")
    fig.suptitle(f"Test accuracy by generator — {study}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _table1_figure(table: pl.DataFrame, path: Path, *, study: str) -> Path:
    plt = pyplot()
    cells = _cells(table)
    features = list(dict.fromkeys(table["feature"].to_list()))
    fig, axes = plt.subplots(1, 2, figsize=(10, 0.45 * len(features) + 1.5), sharey=True)
    for ax, column, title in zip(axes, ("pearson_r", "paper_r"), ("ours", "paper"), strict=True):
        grid = np.full((len(features), len(cells)), np.nan)
        for row in table.iter_rows(named=True):
            value = row[column]
            if value is not None:
                grid[features.index(row["feature"]), cells.index(row[_BY])] = value
        ax.imshow(grid, cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
        for (i, j), value in np.ndenumerate(grid):
            if np.isfinite(value):
                p_adj = _p_adj(table, cells[j], features[i]) if column == "pearson_r" else None
                mark = "*" if p_adj is not None and p_adj < SIGNIFICANCE else ""
                ax.text(j, i, f"{value:.2f}{mark}", ha="center", va="center", fontsize=8)
        ax.set_xticks(range(len(cells)), cells)
        ax.set_yticks(range(len(features)), features)
        ax.set_title(title)
    fig.suptitle(f"Pearson r with test accuracy (Table 1) — {study}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _p_adj(table: pl.DataFrame, cell: str, feature: str) -> float | None:
    match = table.filter((pl.col(_BY) == cell) & (pl.col("feature") == feature))
    return None if match.is_empty() else match["pearson_p_adj"][0]


def _cells(table: pl.DataFrame) -> list[str]:
    present = table[_BY].unique().to_list()
    return [c for c in _CELL_ORDER if c in present] + sorted(
        c for c in present if c not in _CELL_ORDER
    )


def _number(value: float | None) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:+.2f}"


def _priors_study(db: str | os.PathLike | None, study: str | None) -> str:
    """``study`` checked to be a priors study, or the newest priors study."""
    studies = queries.studies(db).filter(pl.col("kind") == "priors")
    if studies.is_empty():
        raise LookupError("No priors study in this warehouse: run `sparsescope study priors`.")
    if study is None:
        return studies["id"][0]
    if study not in studies["id"].to_list():
        raise LookupError(
            f"No priors study {study!r} in this warehouse; priors studies: "
            f"{', '.join(studies['id'].to_list())}."
        )
    return study
