"""The registry of study reports: one named function per study kind."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Report", "ReportOutput", "create_report", "list_reports", "register_report"]


@dataclass(frozen=True)
class ReportOutput:
    """What one report wrote: files (figures, tables) and a short summary for the terminal."""

    files: list[Path] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)


# A report reads the warehouse ``db`` (optionally one study) and writes into ``out``.
Report = Callable[..., ReportOutput]

_REPORTS: dict[str, Report] = {}


def register_report(kind: str) -> Callable[[Report], Report]:
    """Register ``function(db, *, out, study=None) -> ReportOutput`` as the report of ``kind``.

    Raises
    ------
    ValueError
        ``kind`` is already registered (a second report would silently replace the first).
    """

    def decorator(function: Report) -> Report:
        if kind in _REPORTS:
            raise ValueError(f"A report for study kind {kind!r} is already registered.")
        _REPORTS[kind] = function
        return function

    return decorator


def list_reports() -> list[str]:
    """The study kinds that have a report, sorted."""
    return sorted(_REPORTS)


def create_report(
    kind: str, db: str | os.PathLike | None, *, out: str | os.PathLike, study: str | None = None
) -> ReportOutput:
    """Run the report of ``kind`` on warehouse ``db``, writing under ``out/figures/<kind>/``.

    Raises
    ------
    KeyError
        ``kind`` has no report (the message lists the kinds that do).
    """
    if kind not in _REPORTS:
        raise KeyError(f"Unknown report {kind!r}; valid reports: {', '.join(list_reports())}.")
    folder = Path(out) / "figures" / kind
    folder.mkdir(parents=True, exist_ok=True)
    return _REPORTS[kind](db, out=folder, study=study)
