"""The feed-forward pruning report (paper §4.1, Figure 2a) from a ``prune-ffn`` study.

Writes, under ``<out>/figures/pruning-ffn/``:

- ``accuracy_vs_compression.png``: test accuracy against sparsity, one colour per method,
  solid after re-training and dashed right after the pruning step, the band spanning the seeds
  (min to max at each step); one panel per (architecture, learning rate) and scheme;
- ``features_vs_sparsity.png``: a few graph features of the surviving network along the
  pruning path (percentage scheme when present), one colour per method, mean over seeds;
- ``summary.md``: per (architecture, learning rate, method) the accuracy after re-training at
  the step closest to 80% compression (mean ± std over seeds, n) beside the unpruned base, the
  checks of the paper's findings, and the Pearson / Spearman correlation of each feature with
  the accuracy after re-training across all steps of all runs, per method.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from analytics.correlation import correlation_table
from app.reports.plotting import pyplot
from app.reports.registry import ReportOutput, register_report
from warehouse.queries_pruning import pruning_steps, pruning_studies

__all__ = [
    "FEATURES_SHOWN",
    "accuracy_at",
    "paper_findings",
    "pruning_ffn_report",
]

KIND = "prune-ffn"
FEATURES_SHOWN = ("source_nodes", "sink_nodes", "degree_centrality_std", "layers")
COMPRESSION = 0.8  # the paper's check point: accuracy at 80% compression with re-training
_CORRELATED = (
    "edges", "density", "degree_centrality_mean", "degree_centrality_std", "source_nodes",
    "sink_nodes", "layers", "last_layer_size", "closeness_centrality_mean",
    "node_betweenness_mean", "edge_betweenness_mean", "average_shortest_path_length",
)  # fmt: skip


@register_report("pruning-ffn")
def pruning_ffn_report(
    db: str | os.PathLike | None, *, out: Path, study: str | None = None
) -> ReportOutput:
    """Write the figures and summary of ``study`` (default: the newest prune-ffn study).

    Raises
    ------
    LookupError
        No prune-ffn study in the warehouse, or ``study`` is not one.
    """
    study = _study(db, study)
    steps = pruning_steps(db, study=study).with_columns(
        pl.format("h{} lr{}", pl.col("hidden"), pl.col("learning_rate")).alias("setting")
    )
    at = accuracy_at(steps, COMPRESSION)
    findings = paper_findings(at)
    correlations = _correlations(steps)
    files = [_accuracy_figure(steps, out / "accuracy_vs_compression.png", study=study)]
    if any(f in steps.columns for f in FEATURES_SHOWN):
        files.append(_features_figure(steps, out / "features_vs_sparsity.png", study=study))
    summary_md = out / "summary.md"
    summary_md.write_text(_markdown(study, steps, at, findings, correlations), encoding="utf-8")
    files.append(summary_md)
    seeds = sorted(steps["seed"].unique().to_list())
    lines = [
        f"study {study}: {steps['run_id'].n_unique()} runs, {steps.height} steps, seeds {seeds}"
    ]
    return ReportOutput(files=files, summary=lines + [f"  {f}" for f in findings])


def accuracy_at(steps: pl.DataFrame, compression: float) -> pl.DataFrame:
    """Per (setting, method, scheme): accuracy after re-training at each run's step closest
    to ``compression``, mean / std / n over seeds, with the unpruned bases' mean accuracy."""
    pruned = steps.filter(pl.col("step") > 0)
    closest = (
        pruned.with_columns((pl.col("sparsity") - compression).abs().alias("_gap"))
        .sort("_gap")
        .group_by("run_id")
        .first()
    )
    base = steps.filter(pl.col("step") == 0).unique("base_network_id")
    base_acc = base.group_by("setting").agg(pl.col("acc_after").mean().alias("unpruned"))
    return (
        closest.group_by("setting", "method", "scheme")
        .agg(
            pl.col("acc_after").mean().alias("mean"),
            pl.col("acc_after").std().alias("std"),
            pl.len().alias("n"),
            pl.col("sparsity").mean().alias("sparsity"),
        )
        .join(base_acc, on="setting", how="left")
        .sort("setting", "scheme", "method")
    )


def paper_findings(at: pl.DataFrame) -> list[str]:
    """The paper's three findings checked per (setting, scheme) on :func:`accuracy_at` rows:
    class-blinded at or above the others, random worst, and >= unpruned at 80%."""
    lines = []
    for (setting, scheme), group in at.group_by("setting", "scheme", maintain_order=True):
        means = dict(group.select("method", "mean").iter_rows())
        if len(means) < 2:
            continue
        best, worst = max(means, key=means.get), min(means, key=means.get)
        blinded = means.get("magnitude_class_blinded")
        parts = [f"{setting}, {scheme}: best {best} ({means[best]:.3f}), worst {worst} "
                 f"({means[worst]:.3f})"]  # fmt: skip
        if blinded is not None:
            top = all(blinded >= v - 1e-9 for v in means.values())
            parts.append(f"class-blinded {'is' if top else 'is NOT'} at or above the others")
            unpruned = group["unpruned"][0]
            if unpruned is not None:
                verdict = ">=" if blinded >= unpruned else "<"
                parts.append(
                    f"class-blinded at ~80% {blinded:.3f} {verdict} unpruned {unpruned:.3f}"
                )
        if "random" in means:
            parts.append(f"random {'is' if worst == 'random' else 'is NOT'} worst")
        lines.append("; ".join(parts))
    return lines


def _correlations(steps: pl.DataFrame) -> pl.DataFrame:
    pruned = steps.filter(pl.col("step") > 0)
    features = [f for f in _CORRELATED if f in pruned.columns and pruned[f].drop_nulls().len()]
    return correlation_table(pruned, target="acc_after", features=features, by="method")


def _accuracy_figure(steps: pl.DataFrame, path: Path, *, study: str) -> Path:
    plt = pyplot()
    settings = sorted(steps["setting"].unique().to_list())
    schemes = sorted(steps.filter(pl.col("step") > 0)["scheme"].unique().to_list())
    methods = sorted(steps["method"].unique().to_list())
    colours = dict(zip(methods, plt.get_cmap("tab10").colors, strict=False))
    figure, axes = plt.subplots(
        len(settings), len(schemes), figsize=(4 * len(schemes), 3 * len(settings)),
        squeeze=False, sharex=True, sharey=True,
    )  # fmt: skip
    for i, setting in enumerate(settings):
        for j, scheme in enumerate(schemes):
            ax = axes[i][j]
            cell = steps.filter((pl.col("setting") == setting) & (pl.col("scheme") == scheme))
            for method in methods:
                curve = _by_step(cell.filter(pl.col("method") == method))
                if curve.is_empty():
                    continue
                x = curve["sparsity"].to_list()
                ax.plot(
                    x, curve["after"].to_list(), color=colours[method], label=method, marker="."
                )
                ax.plot(x, curve["before"].to_list(), color=colours[method], linestyle="--",
                        linewidth=0.8)  # fmt: skip
                ax.fill_between(x, curve["low"].to_list(), curve["high"].to_list(),
                                color=colours[method], alpha=0.15)  # fmt: skip
            ax.set_title(f"{setting} · {scheme}", fontsize=9)
            if i == len(settings) - 1:
                ax.set_xlabel("sparsity (fraction of weights pruned)")
            if j == 0:
                ax.set_ylabel("test accuracy")
    axes[0][0].legend(fontsize=7, loc="lower left")
    figure.suptitle(f"{study}: solid = after re-training, dashed = before; band = seeds min-max")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _features_figure(steps: pl.DataFrame, path: Path, *, study: str) -> Path:
    plt = pyplot()
    schemes = steps.filter(pl.col("step") > 0)["scheme"].unique().to_list()
    scheme = "percentage" if "percentage" in schemes else sorted(schemes)[0]
    chosen = steps.filter(pl.col("scheme") == scheme)
    settings = sorted(chosen["setting"].unique().to_list())
    features = [f for f in FEATURES_SHOWN if f in chosen.columns]
    methods = sorted(chosen["method"].unique().to_list())
    colours = dict(zip(methods, plt.get_cmap("tab10").colors, strict=False))
    figure, axes = plt.subplots(
        len(settings), len(features), figsize=(3.6 * len(features), 2.8 * len(settings)),
        squeeze=False, sharex=True,
    )  # fmt: skip
    for i, setting in enumerate(settings):
        for j, feature in enumerate(features):
            ax = axes[i][j]
            for method in methods:
                curve = (
                    chosen.filter((pl.col("setting") == setting) & (pl.col("method") == method))
                    .group_by("step")
                    .agg(pl.col("sparsity").mean(), pl.col(feature).mean())
                    .sort("step")
                )
                ax.plot(curve["sparsity"].to_list(), curve[feature].to_list(), marker=".",
                        color=colours[method], label=method)  # fmt: skip
            ax.set_title(f"{setting} · {feature}", fontsize=9)
            if i == len(settings) - 1:
                ax.set_xlabel("sparsity")
    axes[0][0].legend(fontsize=7)
    figure.suptitle(f"{study}: structure of the surviving network ({scheme} scheme)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _by_step(frame: pl.DataFrame) -> pl.DataFrame:
    return (
        frame.group_by("step")
        .agg(
            pl.col("sparsity").mean(),
            pl.col("acc_after").mean().alias("after"),
            pl.col("acc_before").mean().alias("before"),
            pl.col("acc_after").min().alias("low"),
            pl.col("acc_after").max().alias("high"),
        )
        .sort("step")
    )


def _markdown(study, steps, at, findings, correlations) -> str:
    seeds = sorted(steps["seed"].unique().to_list())
    lines = [
        f"Study `{study}`: {steps['run_id'].n_unique()} pruning runs, "
        f"{steps.filter(pl.col('step') > 0).height} step networks, seeds {seeds}.",
        "",
        f"Test accuracy after re-training at the step closest to {COMPRESSION:.0%} compression "
        "(mean ± std over seeds; n = runs):",
        "",
        "| setting | scheme | method | sparsity | accuracy | n | unpruned |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in at.iter_rows(named=True):
        std = f" ± {row['std']:.3f}" if row["std"] is not None else ""
        lines.append(
            f"| {row['setting']} | {row['scheme']} | {row['method']} | {row['sparsity']:.2f} | "
            f"{row['mean']:.3f}{std} | {row['n']} | {row['unpruned']:.3f} |"
        )
    lines += ["", "Paper's findings, checked:", ""] + [f"- {f}" for f in findings]
    lines += [
        "",
        "Correlation of features with the accuracy after re-training across all steps "
        "(per method; n = steps with that feature):",
        "",
        "| method | feature | n | Pearson r | Spearman ρ |",
        "|---|---|---|---|---|",
    ]
    for row in correlations.iter_rows(named=True):
        lines.append(
            f"| {row['group']} | {row['feature']} | {row['n']} | {_num(row['pearson_r'])} | "
            f"{_num(row['spearman_rho'])} |"
        )
    return "\n".join(lines) + "\n"


def _num(value) -> str:
    return "" if value is None or value != value else f"{value:+.2f}"


def _study(db, study: str | None) -> str:
    studies = pruning_studies(db, kind=KIND)["id"].to_list()
    if study is not None and study not in studies:
        raise LookupError(
            f"The pruning-ffn report found no prune-ffn study {study!r}; prune-ffn studies: "
            f"{', '.join(studies) or 'none'}."
        )
    if not studies:
        raise LookupError(
            "The pruning-ffn report found no prune-ffn study in this warehouse: run "
            "`sparsescope study prune-ffn`."
        )
    return study or studies[0]
