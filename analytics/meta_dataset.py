"""The meta-dataset as analytics sees it: the wide frame plus which columns are features.

The warehouse's ``meta_dataset`` view has one row per network with descriptive columns, every
feature and every final metric. Correlations and regressors need to know which columns are the
structural features (inputs) and which are metrics (candidate targets); this module says so.

A numeric column of an imported CSV is a feature unless the import named it a metric, so a
``time`` or ``epoch`` column a user forgot to pass as ``--metric-cols`` would arrive as a
"structural" feature. :meth:`MetaDataset.choose_features` therefore leaves out, by default,
features whose name looks like a measurement (:func:`looks_like_metric`: a word such as
``loss``, ``time``, ``epoch`` or ``acc``) and reports them, so the caller can warn; naming
such a column explicitly (``include``) uses it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from warehouse import queries
from warehouse.store import BASE_COLUMNS

__all__ = ["FeatureChoice", "MetaDataset", "load_meta_dataset", "looks_like_metric"]

# Words that name measurements of training, not structure (matched as whole words of a column
# name split at "_", "-", ".", spaces, digits and camelCase boundaries).
METRIC_WORDS = frozenset(
    {"acc", "accuracy", "duration", "epoch", "epochs", "loss", "perplexity", "runtime",
     "seconds", "time", "walltime"}
)  # fmt: skip


def looks_like_metric(column: str) -> bool:
    """True when a word of ``column`` names a training measurement (``val_loss``, ``time``).

    >>> [looks_like_metric(c) for c in ("wall_time", "trainAcc", "nodes", "closeness_var")]
    [True, True, False, False]
    """
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", column).lower()
    return any(word in METRIC_WORDS for word in re.split(r"[^a-z]+", spaced))


@dataclass(frozen=True)
class FeatureChoice:
    """The features to use, and the metric-like ones left out by default (to warn about)."""

    features: list[str]
    metric_like_excluded: list[str]


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
        """The default features for ``target``: :meth:`choose_features` without options."""
        return self.choose_features(target).features

    def choose_features(
        self,
        target: str,
        *,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> FeatureChoice:
        """Feature columns to relate to ``target``.

        Without ``include``: every non-empty feature column except the target, ``exclude``
        and metric-like columns (:func:`looks_like_metric`, returned in
        ``metric_like_excluded``). With ``include``: exactly those columns (minus
        ``exclude``), metric-like or not.

        Raises
        ------
        KeyError
            A name in ``include`` or ``exclude`` is not a feature (the message lists them).
        """
        for option, names in (("--feature", include), ("--exclude", exclude)):
            unknown = [n for n in names if n not in self.features]
            if unknown:
                raise KeyError(
                    f"Unknown feature(s) {unknown} given as {option}; features: {self.features}."
                )
        if include:
            chosen = [f for f in dict.fromkeys(include) if f not in exclude]
            return FeatureChoice(features=chosen, metric_like_excluded=[])
        candidates = [
            f for f in self.features
            if f != target and f not in exclude
            and self.frame.get_column(f).null_count() < self.frame.height
        ]  # fmt: skip
        metric_like = [f for f in candidates if looks_like_metric(f)]
        return FeatureChoice(
            features=[f for f in candidates if f not in metric_like],
            metric_like_excluded=metric_like,
        )


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
