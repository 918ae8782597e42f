"""``sparsescope study prune-rnn``: the recurrent pruning study (paper, section 4.2).

Registered by ``app.cli`` with ``study_app.command("prune-rnn")(prune_rnn)``::

    sparsescope study prune-rnn --preset demo --repeats 3
    sparsescope study prune-rnn --preset paper --cells lstm,gru --targets h2h
    sparsescope report pruning-rnn --out docs/

Base models are trained first (one per cell and seed, saved beside the staging folder), then
every (cell, seed, target) run. Run the same command again to resume: stored runs are
skipped, saved base models are loaded, not retrained.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli_common import (
    DbOption,
    DeviceOption,
    console,
    error_console,
    progress_bar,
    split_list,
    study_progress,
)

__all__ = ["prune_rnn"]


def prune_rnn(
    preset: Annotated[
        str, typer.Option(help="demo (minutes) or paper (the paper's set-up).")
    ] = "demo",
    repeats: Annotated[
        int | None, typer.Option(help="Base models (seeds) per cell; more extend the study.")
    ] = None,
    cells: Annotated[str | None, typer.Option(help="Cell types, e.g. tanh,relu,lstm,gru.")] = None,
    targets: Annotated[str | None, typer.Option(help="Targets among i2h,h2h,both.")] = None,
    percents: Annotated[
        str | None, typer.Option(help="Percents p in [0, 100], increasing, e.g. 10,20,...,100.")
    ] = None,
    base_epochs: Annotated[
        int | None, typer.Option("--base-epochs", help="Training epochs of a base model (max).")
    ] = None,
    sequences: Annotated[int | None, typer.Option(help="Reber sequences (half true).")] = None,
    seed: Annotated[int | None, typer.Option(help="Data seed; repeat r uses seed + r.")] = None,
    reber_csv: Annotated[
        Path | None,
        typer.Option(
            "--reber-csv",
            help="Train on this string,valid CSV instead of generated data (its 'split' "
            "column of train/test, else a seeded 75/25 split).",
        ),
    ] = None,
    device: DeviceOption = None,
    executor: Annotated[str, typer.Option(help="local or ray (uses RAY_ADDRESS).")] = "local",
    workers: Annotated[int, typer.Option(help="Parallel jobs.")] = 2,
    db: DbOption = None,
) -> None:
    """Base RNNs per cell → pruned i2h / h2h / both at every p, re-trained 0/1/2 epochs →
    warehouse (resumable)."""
    from ingest.devices import check_device
    from ingest.rnn_pruning_study import (
        make_study_config,
        run_rnn_pruning_study,
        study_id_for,
    )

    config = make_study_config(
        preset, reber_csv=reber_csv, repeats=repeats, cells=split_list(cells),
        targets=split_list(targets), percents=_numbers(percents, "percents"),
        base_epochs=base_epochs, sequences=sequences, seed=seed, device=device,
    )  # fmt: skip
    check_device(config.device)  # before any progress bar: one line, nothing written
    bar = progress_bar()
    bases = bar.add_task("base models", total=len(config.cells) * config.repeats)

    def on_base(job, outcome) -> None:
        bar.advance(bases)
        if isinstance(outcome, Exception):
            error_console.print(f"[yellow]failed:[/] {job.name}: {outcome}", highlight=False)

    with study_progress(f"prune-rnn/{config.preset} runs", progress=bar) as (progress, _bar):
        summary = run_rnn_pruning_study(
            config, db=db, executor=executor, workers=workers, on_base=on_base,
            progress=progress,
        )  # fmt: skip
    console.print(
        f"Study {summary.study_id}: {summary.trained} run(s) done, {summary.already_done} "
        f"already stored, {len(summary.failed)} failed, in {summary.seconds:.0f} s. Next: "
        f"sparsescope report pruning-rnn --study {study_id_for(config)}"
    )
    if summary.failed:
        raise typer.Exit(1)


def _numbers(text: str | None, option: str) -> list[float] | None:
    parts = split_list(text)
    if parts is None:
        return None
    try:
        return [float(part) for part in parts]
    except ValueError:
        raise ValueError(
            f"The --{option} option must be comma-separated numbers. Got {text!r} instead."
        ) from None
