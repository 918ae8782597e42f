"""``sparsescope report KIND``: regenerate a study kind's figures and tables for the docs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

__all__ = ["report"]

_console = Console()


def report(
    kind: Annotated[str, typer.Argument(help="Study kind, e.g. priors.")],
    out: Annotated[Path, typer.Option(help="Docs folder; files go to OUT/figures/KIND/.")] = Path(
        "docs"
    ),
    study: Annotated[
        str | None, typer.Option(help="Study id (default: the newest of this kind).")
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db", envvar="SPARSESCOPE_DB", help="Warehouse file (default: ./sparsescope.duckdb)."
        ),
    ] = None,
) -> None:
    """Write the figures (PNG) and tables (Markdown) of one study kind from the warehouse."""
    from app.reports import create_report

    result = create_report(kind, db, out=out, study=study)
    for line in result.summary:
        _console.print(line)
    for path in result.files:
        _console.print(f"wrote {path}")
