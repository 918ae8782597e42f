"""``sparsescope reber …``: generate Reber grammar data sets and check labelled files.

Mounted by ``app.cli`` with ``app.add_typer(reber_app, name="reber")``::

    sparsescope reber generate --n 25000 --seed 0 --min-length 11 --max-length 53 --out reber.csv
    sparsescope reber check reber.csv      # "25,000/25,000 labels agree with the Reber acceptor"

Errors print one line on stderr and exit with code 1; ``sparsescope reber --debug …`` shows
the traceback instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ingest.reber import MAX_LENGTH, MIN_LENGTH, NEGATIVE_KINDS
from ingest.reber_csv import check_reber_labels, load_reber_csv, save_reber_csv
from ingest.reber_dataset import make_reber_frame

__all__ = ["reber_app"]

reber_app = typer.Typer(
    help="Reber grammar data sets: generate labelled sequences, check a file's labels.",
    no_args_is_help=True,
)

_MAX_SHOWN = 10  # disagreements listed by `check`


@reber_app.callback()
def _options(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback on errors.")
    ] = False,
) -> None:
    """Reber grammar data sets: generate labelled sequences, check a file's labels."""
    if debug:
        ctx.meta["debug"] = True


@reber_app.command()
def generate(
    ctx: typer.Context,
    n: Annotated[int, typer.Option("--n", help="Number of sequences (even; half of them true).")],
    out: Annotated[Path, typer.Option("--out", help="CSV file to write (string,valid).")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same file.")] = 0,
    negatives: Annotated[
        str,
        typer.Option(
            "--negatives", help=f"How false sequences are made: {' | '.join(NEGATIVE_KINDS)}."
        ),
    ] = "near-miss",
    min_length: Annotated[
        int, typer.Option("--min-length", help="Shortest sequence (the paper's data: 11).")
    ] = MIN_LENGTH,
    max_length: Annotated[
        int | None,
        typer.Option(
            "--max-length", help=f"Longest sequence (default: no bound but {MAX_LENGTH})."
        ),
    ] = None,
) -> None:
    """Write N distinct labelled Reber sequences, half true, half false, in random order."""
    with _errors(ctx):
        frame = make_reber_frame(
            n, seed=seed, negatives=negatives, min_length=min_length, max_length=max_length
        )
        path = save_reber_csv(frame, out)
    typer.echo(f"Wrote {n:,} distinct sequences ({n // 2:,} true, {n // 2:,} false) to {path}.")


@reber_app.command()
def check(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV file with string,valid columns.")],
) -> None:
    """Count how many labels in FILE agree with the Reber acceptor; list disagreements.

    Strings may hold any printable ASCII except lowercase letters; those with symbols
    outside BTPSXVE are simply not in the grammar.
    """
    with _errors(ctx):
        result = check_reber_labels(load_reber_csv(file))
    console = Console()
    if result.total == 0:
        console.print(f"{file}: no rows to check.")
        return
    console.print(
        f"{result.agreed:,}/{result.total:,} labels agree with the Reber acceptor "
        f"({100 * result.fraction:.2f}%)."
    )
    if result.disagreements.height == 0:
        return
    shown = result.disagreements.head(_MAX_SHOWN)
    table = Table(
        title=f"First {shown.height} of {result.disagreements.height} disagreement(s)",
    )
    table.add_column("row", justify="right")
    table.add_column("string", overflow="fold")
    table.add_column("label")
    table.add_column("acceptor")
    for row in shown.iter_rows(named=True):
        table.add_row(str(row["row"]), row["string"], _word(row["valid"]), _word(row["accepted"]))
    console.print(table)


@contextmanager
def _errors(ctx: typer.Context) -> Iterator[None]:
    """Turn library errors into one line on stderr and exit code 1 (unless ``--debug``)."""
    try:
        yield
    except (ValueError, OSError) as exc:
        if ctx.meta.get("debug"):
            raise
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(code=1) from None


def _word(value: bool) -> str:
    return "true" if value else "false"
