"""How studies are named to the user: a readable label and a table with their live progress.

A study id such as ``priors-demo-1a2b3c4d`` says little; a picker shows
``priors · 2026-12-01 14:03 · n=80 · epochs=2 [priors-demo-1a2b3c4d]`` instead — kind, creation
time, networks stored, the settings that tell it apart from the other studies, and whether it
is still running (``running 27 of 80``). The progress comes from the drivers' status files
(:mod:`app.dashboard.live`), so a study shows before its first network lands.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import polars as pl

from app.dashboard.live import LiveStudy, format_duration

__all__ = ["MAX_SETTINGS", "studies_with_progress", "study_labels"]

MAX_SETTINGS = 3  # configuration entries shown in a label
_MAX_VALUE = 14  # characters of one configuration value in a label


def study_labels(
    studies: pl.DataFrame, live: dict[str, LiveStudy], *, differing: Iterable[str] = ()
) -> dict[str, str]:
    """``{study id: label}`` for the rows of :func:`warehouse.queries.studies`.

    Parameters
    ----------
    live:
        Progress by study id (:func:`app.dashboard.live.live_studies`).
    differing:
        Configuration keys whose values differ between studies; they are shown first.

    >>> frame = pl.DataFrame({"id": ["p-1a2b"], "kind": ["priors"], "config": ['{"epochs": 2}'],
    ...                       "networks": [80], "created": [None]})
    >>> study_labels(frame, {})["p-1a2b"]
    'priors · n=80 · epochs=2 [p-1a2b]'
    """
    first = list(differing)
    labels = {}
    for row in studies.iter_rows(named=True):
        parts = [row["kind"]]
        if row.get("created") is not None:
            parts.append(f"{row['created']:%Y-%m-%d %H:%M}")
        parts.append(f"n={row['networks']:,}")
        settings = _settings(json.loads(row.get("config") or "{}"), first)
        if settings:
            parts.append(settings)
        progress = live.get(row["id"])
        if progress is not None and progress.state != "finished":
            parts.append(f"{progress.state} {progress.progress}")
        labels[row["id"]] = f"{' · '.join(parts)} [{row['id']}]"
    return labels


def studies_with_progress(studies: pl.DataFrame, live: dict[str, LiveStudy]) -> pl.DataFrame:
    """The studies table with ``status``, ``progress`` ("27 of 80") and ``time_left`` columns.

    Studies that a driver runs but that have no stored network yet are added (0 networks);
    studies without a status file (imports, older runs) are ``finished`` with all their
    networks.
    """
    known = set(studies["id"].to_list())
    pending = [
        {"id": s.study_id, "kind": s.kind, "created": None, "config": None, "networks": 0}
        for s in live.values()
        if s.study_id not in known
    ]
    if pending:
        studies = pl.concat(
            [pl.DataFrame(pending, schema=studies.schema, orient="row"), studies], how="vertical"
        )
    rows = []
    for study_id, stored in studies.select("id", "networks").iter_rows():
        progress = live.get(study_id)
        if progress is None:
            rows.append(("finished", f"{stored:,} of {stored:,}", "–"))
        else:
            rows.append((progress.state, progress.progress, format_duration(progress.seconds_left)))
    status, done, left = zip(*rows, strict=True) if rows else ((), (), ())
    return studies.with_columns(
        status=pl.Series(status, dtype=pl.String),
        progress=pl.Series(done, dtype=pl.String),
        time_left=pl.Series(left, dtype=pl.String),
    ).select("id", "kind", "status", "progress", "time_left", "networks", "created", "config")


def _settings(config: dict, first: list[str]) -> str:
    keys = [k for k in first if k in config] + sorted(k for k in config if k not in first)
    shown = []
    for key in keys:
        value = config[key]
        if isinstance(value, dict | list):
            continue
        text = str(value)
        shown.append(f"{key}={text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + '…'}")
        if len(shown) == MAX_SETTINGS:
            break
    return ", ".join(shown)
