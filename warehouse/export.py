"""Export the meta-dataset (one row per network: features and final metrics) as CSV or Parquet."""

from __future__ import annotations

import os
from pathlib import Path

from warehouse.connection import resolve_db_path
from warehouse.queries import meta_dataset

__all__ = ["EXPORT_FORMATS", "export_meta_dataset"]

EXPORT_FORMATS = ("csv", "parquet")


def export_meta_dataset(
    db: str | os.PathLike | None,
    out: str | os.PathLike,
    *,
    format: str = "csv",  # noqa: A002 - mirrors the CLI option
    study: str | None = None,
) -> int:
    """Write the meta-dataset to ``out``; returns the number of rows written.

    ``out`` may be an existing directory: the file is then ``out/meta_dataset.<format>``. The
    file is written next to its target under a temporary name and renamed into place, so an
    interrupted or failed export never leaves a truncated file (nor the temporary one) behind.

    Raises
    ------
    ValueError
        Unknown ``format``, or ``out`` is the warehouse file itself (or its write-ahead log) —
        also when named through a symlink or a relative path — or a directory sits where the
        file should go.
    """
    if format not in EXPORT_FORMATS:
        raise ValueError(
            f"The 'format' parameter of export_meta_dataset must be one of {EXPORT_FORMATS}. "
            f"Got {format!r} instead."
        )
    target = Path(out)
    if target.is_dir():
        target = target / f"meta_dataset.{format}"
    warehouse = resolve_db_path(db).resolve()
    protected = {warehouse, warehouse.with_name(warehouse.name + ".wal")}
    if target.resolve() in protected:
        raise ValueError(
            f"The 'out' parameter of export_meta_dataset is the warehouse {warehouse} itself "
            f"(got {str(out)!r}); choose another file."
        )
    if target.is_dir():
        raise ValueError(
            f"The 'out' parameter of export_meta_dataset names {target}, which is a directory."
        )
    frame = meta_dataset(db, study=study)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.partial")
    try:
        if format == "csv":
            frame.write_csv(temporary)
        else:
            frame.write_parquet(temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return frame.height
