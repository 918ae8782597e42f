"""``sparsescope study priors``, ``studies`` and ``demo``: run, list and delete studies.

Registered by :mod:`app.cli` (``study_app.command("priors")(study_priors)`` and so on); the
studies themselves live in :mod:`ingest`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli_common import (
    DbOption,
    OutputFormat,
    console,
    emit,
    error_console,
    split_list,
    study_progress,
)

__all__ = ["demo", "run_priors", "studies", "studies_delete", "study_priors"]


def study_priors(
    preset: Annotated[
        str, typer.Option(help="demo (minutes) or paper (the paper's set-up).")
    ] = "demo",
    cells: Annotated[str | None, typer.Option(help="Cell types, e.g. tanh,relu,lstm,gru.")] = None,
    graphs: Annotated[int | None, typer.Option(help="Graphs per generator.")] = None,
    generators: Annotated[str | None, typer.Option(help="Generators, e.g. ba,ws,er.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Training epochs per network.")] = None,
    sequences: Annotated[int | None, typer.Option(help="Reber sequences (half true).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of graphs, data and training.")] = None,
    min_length: Annotated[
        int | None, typer.Option("--min-length", help="Shortest generated sequence.")
    ] = None,
    max_length: Annotated[
        int | None, typer.Option("--max-length", help="Longest generated sequence.")
    ] = None,
    reber_csv: Annotated[
        Path | None,
        typer.Option(
            "--reber-csv",
            help="Train on this string,valid CSV instead of generated data (its 'split' "
            "column of train/test, else a seeded 75/25 split).",
        ),
    ] = None,
    device: Annotated[
        str | None, typer.Option(help="Torch device to train on: cpu, cuda, cuda:1, ...")
    ] = None,
    executor: Annotated[str, typer.Option(help="local or ray (uses RAY_ADDRESS).")] = "local",
    workers: Annotated[int, typer.Option(help="Parallel training jobs.")] = 2,
    pack: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Networks trained together as one model per job (default: chosen by network "
            "size; 1: one network per job). Results and study id do not depend on it.",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Random graphs → sparse RNNs trained on the Reber grammar → warehouse (resumable)."""
    summary = run_priors(
        preset, db=db, executor=executor, workers=workers, pack=pack, cells=split_list(cells),
        graphs_per_generator=graphs, generators=split_list(generators), epochs=epochs,
        sequences=sequences, seed=seed, min_length=min_length, max_length=max_length,
        reber_csv=reber_csv, device=device,
    )  # fmt: skip
    console.print(
        f"Study {summary.study_id}: {summary.trained} trained, {summary.already_done} already "
        f"stored, {len(summary.failed)} failed, in {summary.seconds:.0f} s. Next: "
        f"sparsescope correlate --target test_acc --by cell --study {summary.study_id}"
    )


def studies(
    ctx: typer.Context,
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,  # noqa: A002
    db: DbOption = None,
) -> None:
    """Every study with its kind, status (running / finished / interrupted / failed), networks
    done of planned and start time."""
    if ctx.invoked_subcommand is not None:
        return
    from ingest.studies import list_studies

    emit(list_studies(db), format, title="Studies")


def studies_delete(
    study_id: Annotated[str, typer.Argument(metavar="ID", help="The study to delete.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    db: DbOption = None,
) -> None:
    """Delete a study and everything of its networks (one transaction); refuses a running one."""
    from ingest.studies import delete_study

    if not yes and not typer.confirm(
        f"Delete study {study_id!r} and all its networks, metrics and features?", default=False
    ):
        error_console.print("Nothing deleted.")
        raise typer.Exit(1)
    deleted = delete_study(db, study_id)
    console.print(
        f"Deleted study {study_id!r}: {deleted.get('networks', 0)} network(s), "
        f"{sum(v for k, v in deleted.items() if k not in ('networks', 'studies'))} row(s) of "
        "their nodes, edges, metrics, features and labels."
    )


def demo(
    dashboard_: Annotated[
        bool, typer.Option("--dashboard/--no-dashboard", help="Open the dashboard afterwards.")
    ] = True,
    port: Annotated[int, typer.Option(help="Dashboard port.")] = 8501,
    device: Annotated[str | None, typer.Option(help="Torch device to train on.")] = None,
    db: DbOption = None,
) -> None:
    """The main job: the priors study's demo preset, its correlation table, the dashboard."""
    from analytics.correlation import correlation_table
    from analytics.meta_dataset import load_meta_dataset

    summary = run_priors("demo", db=db, executor="local", workers=2, device=device)
    meta = load_meta_dataset(db, study=summary.study_id)
    table = correlation_table(
        meta.frame, target="test_acc", features=meta.features_for("test_acc"), by="cell"
    )
    paper_table = table.pivot(on="group", index="feature", values="pearson_r", sort_columns=True)
    emit(
        paper_table,
        OutputFormat.table,
        title=f"Pearson r with test accuracy by cell type (paper's Table 1) — {summary.study_id}",
    )
    if dashboard_:
        console.print("Opening the dashboard (Ctrl-C to stop).")
        from app.cli import dashboard

        dashboard(port=port, headless=False, db=db)


def run_priors(preset: str, *, db, executor: str, workers: int, pack=None, **overrides):
    """Run the priors study ``preset`` (with ``overrides``) under a progress bar."""
    from ingest.priors_config import make_config
    from ingest.priors_study import run_priors_study

    config = make_config(preset, **overrides)
    with study_progress(f"priors/{config.preset}") as (progress, _bar):
        return run_priors_study(
            config, db=db, executor=executor, workers=workers, pack=pack, progress=progress
        )
