"""Export the meta-dataset (one row per network: features and final metrics) as CSV or Parquet."""

from __future__ import annotations

import os
from pathlib import Path

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

    The file is written next to ``out`` under a temporary name and renamed into place, so an
    interrupted export never leaves a truncated file behind.
    """
    if format not in EXPORT_FORMATS:
        raise ValueError(
            f"The 'format' parameter of export_meta_dataset must be one of {EXPORT_FORMATS}. "
            f"Got {format!r} instead."
        )
    frame = meta_dataset(db, study=study)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.partial")
    if format == "csv":
        frame.write_csv(temporary)
    else:
        frame.write_parquet(temporary)
    os.replace(temporary, target)
    return frame.height
