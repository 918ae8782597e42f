"""Import a meta-dataset CSV: one row per trained network, its properties and its performance.

This is the form the paper's experiments published their results in. Column roles:

* ``--target COL``   the performance column (required, numeric): stored as a metric;
* ``--metric-cols``  further metrics (e.g. ``test_loss``, ``time``);
* ``--name-cols``    columns whose values, joined, name the network (default: the row number);
* ``--group COL``    a categorical column to group by later (e.g. cell type): stored as a label;
* every other numeric column is a feature, every other text column a label.

Bad input fails before anything is written, with one line naming the file, column and row: a
missing column, a non-numeric value in the target or in an otherwise numeric column, an infinite
value (``inf``, ``Infinity``: refused rather than stored, as it would poison every correlation),
an empty, repeated or case-variant header cell (SQL names are case-insensitive), or a directory.
Numbers padded with spaces are numbers; empty cells and ``NaN`` are missing values. Names are
stored in lower case (see :func:`warehouse.store.normalise_names`).
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from warehouse.records import Metric, NetworkRecord, StudyRecord
from warehouse.store import IngestReport, store_records

__all__ = ["MetaDatasetError", "import_metadataset", "read_metadataset"]


class MetaDatasetError(ValueError):
    """The CSV does not fit; the message names the file, the column and, where useful, the row."""


def read_metadataset(
    path: str | os.PathLike,
    *,
    target: str,
    group: str | None = None,
    name_cols: Sequence[str] = (),
    metric_cols: Sequence[str] = (),
) -> list[NetworkRecord]:
    """Parse the CSV into one :class:`NetworkRecord` (without a graph) per row."""
    path = Path(path)
    if path.is_dir():
        raise MetaDatasetError(f"{path} is a directory, not a CSV file; give one file.")
    _check_header(path)
    try:
        frame = pl.read_csv(path, infer_schema_length=None)
    except FileNotFoundError as exc:
        raise MetaDatasetError(f"{path}: no such file.") from exc
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise MetaDatasetError(f"{path}: not a readable CSV file ({exc}).") from exc
    if frame.height == 0:
        raise MetaDatasetError(f"{path}: the CSV has no rows.")
    frame = frame.rename({c: c.strip() for c in frame.columns})
    wanted = {"--target": [target], "--group": [group] if group else []}
    wanted |= {"--name-cols": list(name_cols), "--metric-cols": list(metric_cols)}
    for option, columns in wanted.items():
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise MetaDatasetError(
                f"{path}: column(s) {missing} given as {option} are not in the CSV; "
                f"its columns: {frame.columns}."
            )
    special = {target, *(name_cols or ()), *metric_cols, *([group] if group else [])}
    numeric_columns = [target, *metric_cols]
    for column in frame.columns:
        if column in special and column not in numeric_columns:
            continue
        frame = _numeric_or_label(frame, column, path, must_be_numeric=column in numeric_columns)
    features = [c for c in frame.columns if c not in special and frame.schema[c].is_numeric()]
    labels = [c for c in frame.columns if c not in special and c not in features]
    if group:
        labels.append(group)
    names = _row_names(frame, name_cols, path)
    records = []
    for i, row in enumerate(frame.iter_rows(named=True)):
        metrics = [Metric(0, "", target, row[target])]
        metrics += [Metric(0, "", m, row[m]) for m in metric_cols]
        records.append(
            NetworkRecord(
                name=names[i],
                graph=None,
                family="imported",
                metrics=metrics,
                features={f: row[f] for f in features if row[f] is not None},
                labels={label: row[label] for label in labels if row[label] is not None},
                attributes={"source_file": path.name, "row": i + 1},
            )
        )
    return records


def import_metadataset(
    db: str | os.PathLike | None,
    path: str | os.PathLike,
    *,
    target: str,
    group: str | None = None,
    name_cols: Sequence[str] = (),
    metric_cols: Sequence[str] = (),
    study: str | None = None,
    replace: bool = False,
) -> IngestReport:
    """Read the CSV and store all its rows in one transaction (study id: the file's stem)."""
    records = read_metadataset(
        path, target=target, group=group, name_cols=name_cols, metric_cols=metric_cols
    )
    study_id = study or _slug(Path(path).stem)
    config = {
        "source_file": str(path), "target": target, "group": group,
        "name_cols": list(name_cols), "metric_cols": list(metric_cols),
    }  # fmt: skip
    return store_records(
        db,
        StudyRecord(id=study_id, kind="import-metadataset", config=config),
        records,
        replace=replace,
    )


def _numeric_or_label(frame: pl.DataFrame, column: str, path: Path, *, must_be_numeric: bool):
    """Numeric columns (also numbers padded with spaces) become floats; text stays a label.

    A text column that holds numbers but for a few stray values is refused, naming the row, as
    is any infinite value (``inf``, ``Infinity``): it would poison every correlation and
    regression. Empty cells and ``NaN`` are missing values.
    """
    series = frame.get_column(column)
    if series.dtype.is_numeric() or series.dtype == pl.Boolean:
        parsed = series.cast(pl.Float64)
        text = parsed.cast(pl.String)
    else:
        text = series.cast(pl.String).str.strip_chars()
        parsed = text.cast(pl.Float64, strict=False)
        bad = text.is_not_null() & (text != "") & parsed.is_null()
        if not must_be_numeric and parsed.is_not_null().sum() == 0:
            return frame  # a text column: labels
        if bad.any():
            row = int(bad.arg_max())
            raise MetaDatasetError(
                f"{path}: column {column!r} must be numeric, but row {row + 2} holds "
                f"{text[row]!r} (line numbers count the header as line 1)."
            )
    infinite = parsed.is_infinite().fill_null(False)
    if infinite.any():
        row = int(infinite.arg_max())
        raise MetaDatasetError(
            f"{path}: column {column!r} row {row + 2} holds {text[row]!r}, which is infinite; "
            "use an empty cell for a missing value (line numbers count the header as line 1)."
        )
    return frame.with_columns(parsed.alias(column))


def _check_header(path: Path) -> None:
    """Refuse empty, repeated and case-variant column names, naming them."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
    except FileNotFoundError as exc:
        raise MetaDatasetError(f"{path}: no such file.") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise MetaDatasetError(f"{path}: not a readable CSV file ({exc}).") from exc
    names = [cell.strip() for cell in header]
    for position, name in enumerate(names, start=1):
        if not name:
            raise MetaDatasetError(
                f"{path}: header cell {position} is empty; every column needs a name."
            )
    seen: dict[str, str] = {}
    for name in names:
        earlier = seen.setdefault(name.casefold(), name)
        if earlier == name and names.count(name) > 1:
            raise MetaDatasetError(f"{path}: the header repeats {name!r}; name columns uniquely.")
        if earlier != name:
            raise MetaDatasetError(
                f"{path}: columns {earlier!r} and {name!r} differ only in case; SQL names are "
                "case-insensitive, so rename one."
            )


def _row_names(frame: pl.DataFrame, name_cols: Sequence[str], path: Path) -> list[str]:
    if not name_cols:
        return [f"row-{i + 1}" for i in range(frame.height)]
    names = (
        frame.select(pl.concat_str([pl.col(c).cast(pl.String) for c in name_cols], separator="/"))
        .to_series()
        .to_list()
    )
    seen: dict[str, int] = {}
    duplicates = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 2:
            duplicates.append(name)
    if duplicates:
        raise MetaDatasetError(
            f"{path}: --name-cols {list(name_cols)} do not name rows uniquely; "
            f"repeated: {duplicates[:5]}."
        )
    return names


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "metadataset"
