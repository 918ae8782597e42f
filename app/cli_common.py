"""What every ``sparsescope`` command module shares: consoles, ``--db``, output and progress.

The commands live in several modules (``app.cli`` and ``app.cli_<topic>``); this one holds the
pieces they all use, so each study command reports its progress the same way and nothing here
imports torch (``import app.cli`` must stay fast).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

if TYPE_CHECKING:
    from ingest.study_driver import StudyProgress

__all__ = [
    "DbOption",
    "DeviceOption",
    "OutputFormat",
    "console",
    "emit",
    "error_console",
    "progress_bar",
    "split_list",
    "study_progress",
]

console = Console()
error_console = Console(stderr=True)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        envvar="SPARSESCOPE_DB",
        help="Warehouse file (default: ./sparsescope.duckdb).",
        show_default=False,
    ),
]

DeviceOption = Annotated[
    str | None,
    typer.Option(
        help="Torch device to train on: cpu (default), cuda, cuda:1, mps, ... An unavailable "
        "device is refused before anything is written.",
    ),
]


class OutputFormat(StrEnum):
    """How tabular results are printed."""

    table = "table"
    csv = "csv"
    json = "json"


def split_list(text: str | None) -> list[str] | None:
    """A comma-separated option as its non-empty, stripped parts (``None`` when not given).

    >>> split_list(" tanh, gru,,")
    ['tanh', 'gru']
    >>> split_list(None) is None
    True
    """
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


def progress_bar() -> Progress:
    """A rich progress bar on stderr (stdout stays clean for ``--format csv`` pipes)."""
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=error_console, transient=False,
    )  # fmt: skip


@contextmanager
def study_progress(
    description: str,
    *,
    progress: Progress | None = None,
    on_result: Callable[[object, str], None] | None = None,
) -> Iterator[tuple[StudyProgress, Progress]]:
    """A progress bar driven by a study's callbacks: total on start, one step per job.

    Failures and warnings print one yellow line each on stderr. Yields the
    :class:`~ingest.study_driver.StudyProgress` to pass to the study and the bar (to add
    tasks of its own or print above it). Pass ``progress`` to reuse a bar already open, and
    ``on_result(outcome, name)`` to report each successful job too.
    """
    from ingest.study_driver import StudyProgress

    bar = progress or progress_bar()
    with bar:
        task = bar.add_task(description, total=None)

        def on_start(total: int, already: int) -> None:
            bar.update(task, total=total, completed=already)

        def on_network(outcome, name: str) -> None:
            bar.advance(task)
            if isinstance(outcome, Exception):
                error_console.print(f"[yellow]failed:[/] {name}: {outcome}", highlight=False)
            elif on_result is not None:
                on_result(outcome, name)

        def on_warning(message: str) -> None:
            error_console.print(f"[yellow]warning:[/] {message}", highlight=False)

        yield (
            StudyProgress(on_start=on_start, on_network=on_network, on_warning=on_warning),
            bar,
        )


def emit(frame: pl.DataFrame, format: OutputFormat, *, title: str | None) -> None:  # noqa: A002
    """Print ``frame`` as a rich table, CSV or JSON records on stdout."""
    if format is OutputFormat.csv:
        sys.stdout.write(frame.write_csv())
    elif format is OutputFormat.json:
        sys.stdout.write(json.dumps(frame.to_dicts(), default=str, indent=1) + "\n")
    else:
        table = Table(title=title, show_lines=False)
        for column in frame.columns:
            table.add_column(
                column, justify="right" if frame.schema[column].is_numeric() else "left"
            )
        for row in frame.iter_rows():
            table.add_row(*(_cell(v) for v in row))
        console.print(table)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
