"""``sparsescope study prune-ffn``: the feed-forward pruning study (paper, section 4.1).

The command only parses, converts and reports; the study is :mod:`ingest.ffn_pruning_study`.
Compression is given in percent here, as the paper speaks of it (``--target-compression 90``),
and converted to the library's fraction at this boundary; a value outside [0, 100] is refused
naming the option.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli_common import DbOption, DeviceOption, console, split_list, study_progress

__all__ = ["percent_to_fraction", "prune_ffn"]


def percent_to_fraction(value: float | None, option: str) -> float | None:
    """``value`` percent as a fraction in [0, 1] (``None`` stays ``None``).

    Raises
    ------
    typer.BadParameter
        ``value`` is outside [0, 100]; the message names ``option``.
    """
    if value is None:
        return None
    if not 0 <= value <= 100:
        raise typer.BadParameter(
            f"{option} is a percentage in [0, 100]; got {value!r}.", param_hint=option
        )
    return value / 100


def prune_ffn(
    preset: Annotated[
        str, typer.Option(help="demo (minutes on 2 cores) or paper (the paper's grid).")
    ] = "demo",
    config: Annotated[
        Path | None,
        typer.Option("--config", help="TOML file with the whole grid (FFNPruningConfig fields)."),
    ] = None,
    repeats: Annotated[
        int | None, typer.Option(help="Seeds per grid cell (a seed column everywhere).")
    ] = None,
    dataset: Annotated[str | None, typer.Option(help="mnist (default) or digits.")] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Full MNIST as IDX files (plain or .gz)."),
    ] = None,
    methods: Annotated[
        str | None, typer.Option(help="Pruning methods, e.g. random,obd (default: the paper's).")
    ] = None,
    schemes: Annotated[
        str | None, typer.Option(help="Schemes, e.g. fixed_size,percentage.")
    ] = None,
    target_compression: Annotated[
        float | None,
        typer.Option("--target-compression", help="Stop at this percent of weights pruned."),
    ] = None,
    base_epochs: Annotated[int | None, typer.Option(help="Epochs of each base model.")] = None,
    retrain_epochs: Annotated[
        int | None, typer.Option(help="Re-training epochs after every step.")
    ] = None,
    expensive_every: Annotated[
        int | None,
        typer.Option(
            "--expensive-every",
            help="Path and betweenness features every K-th step and at the last (cheap "
            "features: every step).",
        ),
    ] = None,
    rewind_epoch: Annotated[
        int | None,
        typer.Option(
            "--rewind-epoch",
            help="Lottery-ticket rewinding: after every step the surviving weights go back to "
            "the base's after this many epochs (0: initialisation).",
        ),
    ] = None,
    device: DeviceOption = None,
    executor: Annotated[str, typer.Option(help="local or ray (uses RAY_ADDRESS).")] = "local",
    workers: Annotated[int, typer.Option(help="Parallel pruning runs.")] = 2,
    db: DbOption = None,
) -> None:
    """Prune MNIST feed-forward nets with the paper's methods and schemes, every step stored
    as a network (resumable: run it again after an interruption)."""
    from ingest.devices import check_device
    from ingest.ffn_pruning_config import load_ffn_pruning_config, make_ffn_pruning_config
    from ingest.ffn_pruning_study import run_ffn_pruning_study

    overrides = {
        "repeats": repeats, "dataset": dataset,
        "data_dir": str(data_dir) if data_dir is not None else None,
        "methods": split_list(methods), "schemes": split_list(schemes),
        "target_sparsity": percent_to_fraction(target_compression, "--target-compression"),
        "base_epochs": base_epochs, "retrain_epochs": retrain_epochs,
        "expensive_every": expensive_every, "rewind_epoch": rewind_epoch,
        "device": device,
    }  # fmt: skip
    if config is not None:
        chosen = load_ffn_pruning_config(config, **overrides)
    else:
        chosen = make_ffn_pruning_config(preset, **overrides)
    check_device(chosen.device)  # before the progress bar: one line, nothing written
    with study_progress(f"prune-ffn/{chosen.preset}") as (progress, _bar):
        summary = run_ffn_pruning_study(
            chosen, db=db, executor=executor, workers=workers, progress=progress
        )
    console.print(
        f"Study {summary.study_id}: {summary.trained} pruning runs done, "
        f"{summary.already_done} already stored, {len(summary.failed)} failed, in "
        f"{summary.seconds:.0f} s. Next: sparsescope report pruning-ffn --study "
        f"{summary.study_id}  (or SELECT * FROM pruning_steps in sparsescope sql)"
    )
    if summary.failed:
        raise typer.Exit(1)
