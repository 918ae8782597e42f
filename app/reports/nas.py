"""The architecture-search report (paper § 4.4) from a ``sparsescope study nas`` run.

Writes, under ``<out>/figures/nas/``:

- ``search_curves.png``: best measured validation accuracy vs trained candidates per strategy
  (mean over seeds, band from the lowest to the highest seed);
- ``learning_curve.png``: the predictor's held-out Kendall τ and R² against the number of
  training candidates, mean over seeded draws with its 95% percentile-bootstrap interval;
- ``search.md``: per strategy the final best validation and test accuracy and the trainings
  needed to reach a common target — the lowest final best of the baseline's runs
  (regularized evolution when it ran, else the plain genetic search), so every baseline run
  reaches it — with the speed-up over the baseline and its bootstrap interval; the predictor's
  quality on held-out measured candidates against the number of training candidates (the
  learning curve, with bootstrap intervals); and the
  ten most important structural features with their correlation, beside the paper's finding.

Only measured candidates count anywhere: predicted scores are never accuracies.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import polars as pl

from analytics.meta_dataset import load_meta_dataset
from analytics.nas_importance import feature_ranking
from analytics.nas_search import best_so_far, curve_summary, search_summary
from analytics.regressors.learning_curve import learning_curve
from app.reports.plotting import pyplot
from app.reports.registry import ReportOutput, register_report
from warehouse.queries_nas import CANDIDATE_FAMILY, RUN_FAMILY, nas_studies, search_candidates

__all__ = ["nas_report"]

_TARGET = "validation_acc"
_BASELINES = ("regularized_evolution", "genetic")
_TRAIN_SIZES = (25, 50, 100, 200, 400, 1000)
_PREDICTOR = "random_forest"
_REPEATS = 10  # seeded training draws per size; the intervals resample them
# The paper's § 4.4 finding: six of its ten most important features are standard deviations of
# path lengths around convolutions or poolings (all positively correlated with the maximum
# accuracy), and mean closeness is among the ten, negatively correlated.
_CONV_POOL_STD = re.compile(r"^path_\w+_(conv3x3|conv5x5|conv7x7|maxpool|avgpool)_std$")


@register_report("nas")
def nas_report(
    db: str | os.PathLike | None, *, out: Path, study: str | None = None
) -> ReportOutput:
    """Write the search figure and tables of ``study`` (default: the newest search study).

    Raises
    ------
    LookupError
        No search study, ``study`` is not one, or it has no measured candidate.
    """
    study = _nas_study(db, study)
    candidates = search_candidates(db, study=study)
    curves = best_so_far(candidates)
    if curves.is_empty():
        raise LookupError(f"Study {study} has no measured candidate yet.")
    baseline = next((b for b in _BASELINES if b in set(curves["strategy"])), None)
    finals = curves.group_by("strategy", "seed").agg(pl.col("best_validation_acc").max())
    reference = baseline or finals["strategy"][0]
    target = float(finals.filter(pl.col("strategy") == reference)["best_validation_acc"].min())
    summary = search_summary(curves, target=target, baseline=reference)
    meta = load_meta_dataset(db, study=study)
    measured = meta.frame.filter(pl.col("family") == CANDIDATE_FAMILY).filter(
        pl.col(_TARGET).is_finite()
    )
    features = meta.features_for(_TARGET)
    sizes = [n for n in _TRAIN_SIZES if n <= measured.height - 20]
    learning = learning_curve(
        measured, target=_TARGET, features=features, train_sizes=sizes, regressor=_PREDICTOR,
        repeats=_REPEATS, seed=0,
    ) if sizes else None  # fmt: skip
    ranking = feature_ranking(measured, target=_TARGET, features=features, seed=0)
    runs = meta.frame.filter(pl.col("family") == RUN_FAMILY)
    if "wall_time" in runs.columns:  # seconds per search run, candidates' training included
        wall = runs.group_by(pl.col("generator").alias("strategy")).agg(
            pl.col("wall_time").mean().alias("wall_seconds")
        )
        summary = summary.join(wall, on="strategy", how="left")
    else:
        summary = summary.with_columns(wall_seconds=pl.lit(None, pl.Float64))
    figure = _curves_figure(curve_summary(curves), out / "search_curves.png", study=study)
    files = [figure]
    if learning is not None:
        files.append(_learning_figure(learning, out / "learning_curve.png", study=study))
    markdown = out / "search.md"
    markdown.write_text(
        _markdown(study, summary, learning, ranking, target=target, baseline=reference,
                  candidates=candidates),
        encoding="utf-8",
    )  # fmt: skip
    lines = [f"study {study}: {candidates.height} candidates "
             f"({int((candidates['scored_by'] == 'measured').sum())} measured)"]  # fmt: skip
    lines += [f"  {r['strategy']}: best validation {r['best_validation_acc']:.4f}, "
              f"speed-up {r['speedup']:.2f}x" for r in summary.iter_rows(named=True)]  # fmt: skip
    return ReportOutput(files=[*files, markdown], summary=lines)


def _markdown(study, summary, learning, ranking, *, target, baseline, candidates) -> str:
    measured = candidates.filter(pl.col("scored_by") == "measured")
    seeds = sorted(set(candidates["seed"].to_list()))
    lines = [
        f"Study `{study}`: {candidates.height} candidates, {measured.height} trained, "
        f"{candidates.height - measured.height} only predicted; seeds {seeds}.",
        "",
        f"Target: validation accuracy {target:.4f} (the lowest final best of the {baseline} "
        "runs). Trainings to reach it: mean over seeds, a run that never reached it counted as "
        f"its budget. Speed-up: {baseline}'s mean trainings ÷ the strategy's, 95% percentile "
        "bootstrap interval over seeds.",
        "",
        "| strategy | runs | budget | best validation acc | its test acc | trainings to target "
        "| reached | speed-up vs " + baseline + " | seconds per run |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in summary.iter_rows(named=True):
        lines.append(
            f"| {r['strategy']} | {r['runs']} | {r['budget']} | {r['best_validation_acc']:.4f} "
            f"| {r['best_test_acc']:.4f} | {r['trainings_to_target']:.1f} | {r['reached']:.0%} "
            f"| {r['speedup']:.2f}× [{r['speedup_low']:.2f}, {r['speedup_high']:.2f}] "
            f"| {_number(r['wall_seconds'])} |"
        )
    if learning is not None:
        lines += ["", f"Predictor learning curve ({_PREDICTOR}, {_REPEATS} seeded draws of the "
                  f"training candidates per size, the rest of the {measured.height} trained "
                  "candidates scored, as `sparsescope regress --train-size N`): mean over the "
                  "draws [95% percentile-bootstrap interval over the draws, seed 0].", "",
                  "| training candidates | scored | R² | Kendall τ | Spearman ρ | P@10% |",
                  "|---|---|---|---|---|---|"]  # fmt: skip
        for r in learning.iter_rows(named=True):
            cells = " | ".join(
                _with_interval(r, m)
                for m in ("r2", "kendall_tau", "spearman_pred", "precision_at_10pct")
            )
            lines.append(f"| {r['train_size']} | {r['test_rows']} | {cells} |")
    top = ranking.head(10).with_row_index("rank", offset=1)
    lines += ["", "Ten most important features (random forest on the trained candidates) and "
              "their correlation with validation accuracy:", "",
              "| rank | feature | importance | Pearson r | Spearman ρ |",
              "|---|---|---|---|---|"]  # fmt: skip
    for r in top.iter_rows(named=True):
        lines.append(f"| {r['rank']} | {r['feature']} | {r['importance']:.3f} "
                     f"| {r['pearson_r']:.3f} | {r['spearman_rho']:.3f} |")  # fmt: skip
    std_paths = top.filter(pl.col("feature").str.contains(_CONV_POOL_STD.pattern))
    closeness = ranking.with_row_index("rank", offset=1).filter(
        pl.col("feature") == "closeness_centrality_mean"
    )  # fmt: skip
    positive = int((std_paths["pearson_r"] > 0).sum())
    lines += ["", f"Paper: 6 of its top ten are standard deviations of path lengths around "
              f"convolutions or poolings, all positively correlated; here: {std_paths.height} "
              f"of ten ({positive} positively correlated)."]  # fmt: skip
    if not closeness.is_empty():
        c = closeness.row(0, named=True)
        lines.append(f"Paper: mean closeness in the top ten, negatively correlated; here: rank "
                     f"{c['rank']}, Pearson r {c['pearson_r']:.3f}.")  # fmt: skip
    return "\n".join(lines) + "\n"


def _with_interval(row: dict, metric: str) -> str:
    return f"{row[metric]:.3f} [{row[metric + '_low']:.3f}, {row[metric + '_high']:.3f}]"


def _learning_figure(learning: pl.DataFrame, path: Path, *, study: str) -> Path:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for metric, label in (("kendall_tau", "Kendall τ"), ("r2", "R²")):
        ax.plot(learning["train_size"], learning[metric], marker="o", label=label)
        ax.fill_between(learning["train_size"], learning[f"{metric}_low"],
                        learning[f"{metric}_high"], alpha=0.2)  # fmt: skip
    ax.set_xscale("log")
    ax.minorticks_off()
    ax.set_xticks(learning["train_size"].to_list(), [str(n) for n in learning["train_size"]])
    ax.set_xlabel("Training candidates (measured)")
    ax.set_ylabel("Held-out score")
    ax.set_title(f"Predictor learning curve ({_PREDICTOR}), {study}\n"
                 "mean over seeded draws; band: 95% percentile-bootstrap CI",
                 fontsize=9)  # fmt: skip
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _curves_figure(summary: pl.DataFrame, path: Path, *, study: str) -> Path:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for (strategy,), part in sorted(summary.group_by("strategy"), key=lambda kv: kv[0]):
        part = part.sort("query")
        ax.plot(part["query"], part["mean"], label=strategy)
        ax.fill_between(part["query"], part["low"], part["high"], alpha=0.15)
    ax.set_xlabel("Trained candidates")
    ax.set_ylabel("Best measured validation accuracy")
    ax.set_title(f"Search curves, {study}", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _nas_study(db, study: str | None) -> str:
    studies = nas_studies(db)
    if study is not None and study not in studies:
        raise LookupError(
            f"No search study {study!r}; search studies: {', '.join(studies) or 'none'} "
            "(run `sparsescope study nas`)."
        )
    if not studies:
        raise LookupError("No search study in this warehouse: run `sparsescope study nas`.")
    return study or studies[0]
