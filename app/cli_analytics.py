"""The analytics commands: ``correlate`` and ``regress`` over the warehouse's meta-dataset.

Both are read-only: they load the meta-dataset, choose the features (metric-like columns left
out unless named) and print a table. Neither leaves anything to clean up once its output is
written, so both let the console script end without the interpreter's teardown
(:func:`app.process_exit.skip_teardown`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import polars as pl
import typer

from app.cli_common import DbOption, OutputFormat, emit, error_console, progress_bar
from app.process_exit import skip_teardown

__all__ = ["correlate", "regress"]


class CorrelationMethod(StrEnum):
    """Which correlation the table shows."""

    pearson = "pearson"
    spearman = "spearman"


FeatureOption = Annotated[
    list[str] | None,
    typer.Option("--feature", help="Use only these features (repeat); metric-like names allowed."),
]
ExcludeOption = Annotated[
    list[str] | None, typer.Option("--exclude", help="Leave these features out (repeat).")
]


def correlate(
    target: Annotated[str, typer.Option(help="Metric to correlate with, e.g. test_acc.")],
    by: Annotated[str | None, typer.Option(help="Group by this column, e.g. cell.")] = None,
    method: Annotated[CorrelationMethod | None, typer.Option(help="Show only one method.")] = None,
    study: Annotated[str | None, typer.Option(help="Only this study.")] = None,
    feature: FeatureOption = None,
    exclude: ExcludeOption = None,
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,  # noqa: A002
    db: DbOption = None,
) -> None:
    """Pearson r and Spearman rho of every feature with TARGET (with BH-adjusted p-values).

    Columns that look like metrics (loss, time, epoch, acc, ...) are not used as features
    unless named with --feature; a warning on stderr names the ones left out.
    """
    from analytics.correlation import correlation_table

    meta = _meta_for(db, study=study, target=target, by=by)
    features = _features_for(meta, target, include=feature, exclude=exclude)
    table = correlation_table(meta.frame, target=target, features=features, by=by)
    if method is not None:
        keep = ("pearson_r", "pearson_p", "pearson_p_adj")
        if method is CorrelationMethod.spearman:
            keep = ("spearman_rho", "spearman_p", "spearman_p_adj")
        table = table.select("group", "feature", "n", *keep)
    emit(table, format, title=f"Correlation with {target}")
    skip_teardown()


def regress(
    target: Annotated[str, typer.Option(help="Metric to predict, e.g. test_acc.")],
    by: Annotated[str | None, typer.Option(help="Fit one set of regressors per group.")] = None,
    study: Annotated[str | None, typer.Option(help="Only this study.")] = None,
    regressor: Annotated[
        list[str] | None, typer.Option("--regressor", help="Only these regressors (repeat).")
    ] = None,
    feature: FeatureOption = None,
    exclude: ExcludeOption = None,
    folds: Annotated[int, typer.Option(help="K of repeated K-fold.")] = 5,
    repeats: Annotated[int, typer.Option(help="Repeats of K-fold.")] = 3,
    seed: Annotated[int, typer.Option(help="Seed of splits, models and bootstrap.")] = 0,
    bootstrap: Annotated[
        int, typer.Option(help="Bootstrap resamples for 95% intervals (0: none).")
    ] = 0,
    importances: Annotated[bool, typer.Option(help="Also print permutation importances.")] = False,
    jobs: Annotated[
        int,
        typer.Option(help="Worker processes for the fits (-1: every core); same results."),
    ] = -1,
    profile: Annotated[
        str, typer.Option(help="default, or fast: fewer trees, quicker, other numbers.")
    ] = "default",
    train_size: Annotated[
        int | None,
        typer.Option(
            help="Train on this many rows (drawn with --seed, --repeats draws) and "
            "score the rest, instead of K-fold."
        ),
    ] = None,
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,  # noqa: A002
    db: DbOption = None,
) -> None:
    """Structural performance regressors: cross-validated R² and rank agreement
    (kendall_tau, spearman_pred, precision_at_10pct of out-of-fold predictions), beside the
    paper's single 90/10 split (paper_r2: features min-max scaled on all rows, as the paper
    did). Metric-like columns are not used as features unless named with --feature.
    """
    from analytics.regressors.fit_pool import start_workers  # light: no scikit-learn yet

    if jobs != 1:  # the worker server imports scikit-learn and XGBoost while this process
        start_workers()  # imports them too and loads the data
    from analytics.regressors import evaluate_regressors

    meta = _meta_for(db, study=study, target=target, by=by)
    features = _features_for(meta, target, include=feature, exclude=exclude)
    if train_size is not None:
        from analytics.regressors.train_size import train_size_scores

        scores = train_size_scores(
            meta.frame, target=target, features=features, train_size=train_size, by=by,
            regressors=regressor, repeats=repeats, seed=seed, profile=profile,
        )  # fmt: skip
        emit(scores, format, title=f"Predicting {target} from {train_size} training rows")
        skip_teardown()
        return
    with progress_bar() as progress:
        task = progress.add_task("fitting", total=None)
        result = evaluate_regressors(
            meta.frame, target=target, features=features, by=by, regressors=regressor,
            n_splits=folds, n_repeats=repeats, seed=seed, importances=importances,
            bootstrap=bootstrap, n_jobs=jobs, profile=profile,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )  # fmt: skip
    scores = result.scores if format is not OutputFormat.table else _compact(result.scores)
    emit(scores, format, title=f"Predicting {target}")
    if importances:
        emit(result.importances, format, title="Permutation importances")
    skip_teardown()


def _meta_for(db, *, study: str | None, target: str, by: str | None):
    """The meta-dataset, checked to have ``target`` and ``by`` (errors name the valid ones)."""
    from analytics.meta_dataset import load_meta_dataset

    meta = load_meta_dataset(db, study=study)
    meta.require_target(target)
    meta.require_group(by)
    return meta


def _compact(scores: pl.DataFrame) -> pl.DataFrame:
    """The score table for a terminal: short headers, bootstrap bounds as ``[low, high]``."""
    shown = {
        "cv_r2": ("CV R²", "cv_r2_mean"), "paper_r2": ("paper R²", "paper_r2"),
        "kendall_tau": ("tau", "kendall_tau"), "spearman_pred": ("rho_pred", "spearman_pred"),
        "precision_at_10pct": ("P@10%", "precision_at_10pct"),
    }  # fmt: skip
    columns = [pl.col("group"), pl.col("regressor"), pl.col("n")]
    for statistic, (header, point) in shown.items():
        text = pl.col(point).round(3).cast(pl.String)
        if statistic == "cv_r2":
            text = pl.format("{} ± {}", text, pl.col("cv_r2_std").round(3))
        if f"{statistic}_low" in scores.columns:
            low, high = (pl.col(f"{statistic}_{b}").round(3) for b in ("low", "high"))
            text = pl.format("{} [{}, {}]", text, low, high)
        columns.append(pl.when(pl.col(point).is_not_nan()).then(text).alias(header))
    return scores.select(*columns, pl.col("note"))


def _features_for(meta, target: str, *, include, exclude) -> list[str]:
    """The chosen features; one warning line on stderr names metric-like columns left out."""
    choice = meta.choose_features(target, include=include or (), exclude=exclude or ())
    if choice.metric_like_excluded:
        names = ", ".join(choice.metric_like_excluded)
        error_console.print(
            f"warning: not using {names} as feature(s): the name looks like a metric, not "
            f"structure (use --feature NAME to choose features explicitly).",
            highlight=False, soft_wrap=True,
        )  # fmt: skip
    if not choice.features:
        raise ValueError(f"No features left to relate to {target!r}; features: {meta.features}.")
    return choice.features
