"""How ``sparsescope sql`` prints a result so that wide results stay readable in a terminal.

A result as wide as ``SELECT * FROM meta_dataset`` (dozens of columns) squeezed into an
80-column table is a grid of empty boxes. So ``--format table`` draws a table only when every
column gets at least :data:`MIN_COLUMN_WIDTH` characters, and otherwise prints each row as a
vertical *record* (``column | value`` lines, as ``psql``'s expanded mode does) and says so on
stderr; ``--format records`` always does. Long values fold onto the next lines instead of being
cut. ``csv`` and ``json`` are unchanged: they are for programs, not for reading.
"""

from __future__ import annotations

import json
import sys
import textwrap
from enum import StrEnum

import polars as pl
from rich.console import Console
from rich.table import Table

__all__ = ["MIN_COLUMN_WIDTH", "SqlFormat", "print_result", "records_text"]

# A table column narrower than this (or than its header and values, if shorter) is unreadable.
MIN_COLUMN_WIDTH = 10
_CELL_PADDING = 3  # rich's border and padding per column


class SqlFormat(StrEnum):
    """How ``sparsescope sql`` prints its result."""

    table = "table"  # a table when it fits the terminal, else records
    records = "records"  # one block of ``column | value`` lines per row
    csv = "csv"
    json = "json"


def print_result(
    frame: pl.DataFrame,
    format: SqlFormat,
    *,
    console: Console,
    notes: Console,  # noqa: A002
) -> None:
    """Print ``frame`` on ``console`` in ``format``; a note that a table became records goes to
    ``notes`` (stderr), so piped output holds only the data."""
    if format is SqlFormat.csv:
        sys.stdout.write(frame.write_csv())
    elif format is SqlFormat.json:
        sys.stdout.write(json.dumps(frame.to_dicts(), default=str, indent=1) + "\n")
    elif format is SqlFormat.table and _fits(frame, console.width):
        table = Table(show_lines=False)
        for column in frame.columns:
            numeric = frame.schema[column].is_numeric()
            table.add_column(column, justify="right" if numeric else "left", overflow="fold")
        for row in frame.iter_rows():
            table.add_row(*(_cell(v) for v in row))
        console.print(table)
    else:
        if format is SqlFormat.table:
            notes.print(
                f"({frame.width} columns do not fit in {console.width} characters: one record "
                "per row; --format csv or json for programs)",
                highlight=False,
            )
        console.print(records_text(frame, width=console.width), markup=False, highlight=False,
                      end="", soft_wrap=True)  # fmt: skip


def records_text(frame: pl.DataFrame, *, width: int) -> str:
    """Every row of ``frame`` as a block of ``column | value`` lines, at most ``width`` wide.

    >>> print(records_text(pl.DataFrame({"id": [1], "name": ["ba-00"]}), width=30), end="")
    -[ row 1 ]--------------------
    id   | 1
    name | ba-00
    """
    label_width = max((len(c) for c in frame.columns), default=0)
    room = max(width - label_width - 3, 10)
    lines = []
    for number, row in enumerate(frame.iter_rows(), start=1):
        header = f"-[ row {number} ]"
        lines.append(header + "-" * max(width - len(header), 0))
        for column, value in zip(frame.columns, row, strict=True):
            text = _cell(value)
            parts = textwrap.wrap(text, room, break_long_words=True, break_on_hyphens=False)
            for i, part in enumerate(parts or [""]):
                label = column if i == 0 else ""
                lines.append(f"{label:<{label_width}} | {part}".rstrip())
    if not lines:
        lines.append("(0 rows)")
    return "\n".join(lines) + "\n"


def _fits(frame: pl.DataFrame, width: int) -> bool:
    """Whether every column can get ``MIN_COLUMN_WIDTH`` characters (or all it needs)."""
    needed = 1
    for column in frame.columns:
        longest = max([len(column), *(len(_cell(v)) for v in frame.get_column(column).head(50))])
        needed += min(longest, MIN_COLUMN_WIDTH) + _CELL_PADDING
    return needed <= width


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
