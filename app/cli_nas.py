"""``sparsescope study nas``: the genetic CNN search with structural performance prediction."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli_common import DbOption, DeviceOption

__all__ = ["study_nas"]


def study_nas(
    preset: Annotated[
        str, typer.Option(help="demo (minutes, digits) or paper (CIFAR-10, 2,472 candidates).")
    ] = "demo",
    dataset: Annotated[
        str | None, typer.Option(help="digits (embedded), mnist (embedded or --data-dir), cifar10.")
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="MNIST IDX files, or CIFAR-10 python batches (data_batch_1..5, test_batch)."
        ),  # fmt: skip
    ] = None,
    strategies: Annotated[
        str | None,
        typer.Option(
            help="Comma list of genetic, genetic_predictor, regularized_evolution, "
            "regularized_evolution_predictor, random."
        ),  # fmt: skip
    ] = None,
    seeds: Annotated[str | None, typer.Option(help="Comma list of run seeds, e.g. 0,1,2.")] = None,
    generations: Annotated[
        int | None, typer.Option(help="Generations of the genetic loop the budget buys.")
    ] = None,
    population: Annotated[int | None, typer.Option(help="Population size (paper: 30).")] = None,
    predictor: Annotated[
        str | None,
        typer.Option(
            help="Regressor of the predictor strategies (bayesian_ridge, "
            "random_forest, adaboost, xgboost) or none."
        ),  # fmt: skip
    ] = None,
    estimation_fraction: Annotated[
        float | None, typer.Option(help="Offspring only predicted, not trained (paper: 0.5).")
    ] = None,
    epochs: Annotated[int | None, typer.Option(help="Training epochs per candidate.")] = None,
    device: DeviceOption = None,
    executor: Annotated[str, typer.Option(help="local or ray (uses RAY_ADDRESS).")] = "local",
    workers: Annotated[int, typer.Option(help="Parallel search runs.")] = 2,
    db: DbOption = None,
) -> None:
    """Genetic search over CNN genotypes, with and without a structural predictor, against
    regularized evolution and random search → every candidate in the warehouse (resumable)."""
    from app.cli_common import console, split_list, study_progress
    from ingest.nas_config import make_nas_config
    from ingest.nas_study import run_nas_study

    config = make_nas_config(
        preset, dataset=dataset, data_dir=data_dir, strategies=split_list(strategies),
        seeds=[int(s) for s in split_list(seeds)] if seeds else None, generations=generations,
        population=population, predictor=predictor, estimation_fraction=estimation_fraction,
        epochs=epochs, device=device,
    )  # fmt: skip
    from ingest.devices import check_device
    from ingest.nas_training import load_search_data

    # an unavailable device, bad or missing data files: one error line before any progress
    # bar (the data are cached per process)
    check_device(config.device)
    load_search_data(config.dataset, config.data_dir, config.validation_fraction,
                     config.data_seed)  # fmt: skip

    def on_result(outcome, name: str) -> None:
        best, spent = outcome.summary["best_validation_acc"], outcome.summary["trainings"]
        bar.console.print(f"{name}: best validation acc {best:.4f} after {spent:.0f} trainings")

    with study_progress(f"nas/{config.preset} search runs", on_result=on_result) as (
        progress,
        bar,
    ):
        summary = run_nas_study(
            config, db=db, executor=executor, workers=workers, progress=progress
        )
    console.print(
        f"Study {summary.study_id}: {summary.trained} search runs done, {summary.already_done} "
        f"already stored, {len(summary.failed)} failed, in {summary.seconds:.0f} s "
        f"({config.budget} trainings per run). Next: sparsescope report nas --study "
        f"{summary.study_id} --out docs/"
    )
