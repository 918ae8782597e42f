"""The meta-dataset as analytics sees it: the wide frame plus which columns are features.

The warehouse's ``meta_dataset`` view has one row per network with descriptive columns, every
feature and every final metric. Correlations and regressors need to know which columns are the
structural features (inputs) and which are metrics (candidate targets); this module says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import polars as pl

from warehouse import queries
from warehouse.store import BASE_COLUMNS

__all__ = ["MetaDataset", "load_meta_dataset"]


@dataclass(frozen=True)
class MetaDataset:
    """The wide frame and the roles of its columns."""

    frame: pl.DataFrame
    features: list[str]
    metrics: list[str]

    def require_target(self, target: str) -> None:
        """Raise ``KeyError`` naming the valid targets when ``target`` is not a column."""
        if target not in self.frame.columns or target in BASE_COLUMNS:
            raise KeyError(
                f"Unknown target {target!r}; metrics: {self.metrics}; features: {self.features}."
            )

    def require_group(self, by: str | None) -> None:
        """Raise ``KeyError`` naming the valid columns when ``by`` is not a column."""
        if by is not None and by not in self.frame.columns:
            raise KeyError(
                f"Unknown grouping column {by!r}; columns: {sorted(self.frame.columns)}."
            )

    def features_for(self, target: str) -> list[str]:
        """Feature columns to relate to ``target`` (the target itself excluded), non-empty ones."""
        return [
            f for f in self.features
            if f != target and self.frame.get_column(f).null_count() < self.frame.height
        ]  # fmt: skip


def load_meta_dataset(
    db: str | os.PathLike | None = None, *, study: str | None = None
) -> MetaDataset:
    """Read the meta-dataset (optionally of one study) and name its feature and metric columns."""
    frame = queries.meta_dataset(db, study=study)
    metric_columns = set()
    for name in queries.metric_names(db):
        metric_columns.add(f"metric_{name}" if name in BASE_COLUMNS else name)
    features = [
        c for c in frame.columns
        if c not in BASE_COLUMNS and c not in metric_columns and frame.schema[c].is_numeric()
    ]  # fmt: skip
    metrics = [c for c in frame.columns if c in metric_columns]
    return MetaDataset(frame=frame, features=features, metrics=metrics)
