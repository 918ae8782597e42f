"""Registry of feature groups: named sets of feature columns computed together.

Features come in groups because they share work — mean, variance and standard deviation of
closeness come from one closeness vector — so the registry's unit is a group: a name, its
column names and a pure function ``GraphBatch -> (graphs, columns) array`` computing them for
a whole batch of graphs at once. Registration order is column order.

Example
-------
>>> import analytics.features  # registers the built-in groups
>>> get_feature_group("size").columns
('nodes', 'edges', 'density')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from analytics.features.batch import GraphBatch

__all__ = [
    "FeatureGroup",
    "feature_names",
    "get_feature_group",
    "list_feature_groups",
    "register_feature_group",
]

Compute = Callable[[GraphBatch], np.ndarray]


@dataclass(frozen=True)
class FeatureGroup:
    """A named group of feature columns and the pure function computing them.

    ``compute(batch)`` returns a float array of shape ``(batch.size, len(columns))``. Rows of
    graphs without vertices are ignored: the empty graph's features are fixed (see
    :mod:`analytics.features`).
    """

    name: str
    columns: tuple[str, ...]
    compute: Compute


_GROUPS: dict[str, FeatureGroup] = {}


def register_feature_group(name: str, columns: Sequence[str]) -> Callable[[Compute], Compute]:
    """Register the decorated function as the feature group ``name`` computing ``columns``.

    Raises
    ------
    ValueError
        If ``name`` is taken or a column name is already used by another group.
    """

    def decorator(compute: Compute) -> Compute:
        if name in _GROUPS:
            raise ValueError(f"A feature group named {name!r} is already registered.")
        taken = set(feature_names()) & set(columns)
        if taken:
            raise ValueError(f"Feature columns {sorted(taken)} of {name!r} are already in use.")
        _GROUPS[name] = FeatureGroup(name=name, columns=tuple(columns), compute=compute)
        return compute

    return decorator


def list_feature_groups() -> list[str]:
    """Names of the registered feature groups, in column order."""
    return list(_GROUPS)


def get_feature_group(name: str) -> FeatureGroup:
    """The registered feature group ``name``.

    Raises
    ------
    ValueError
        If no group has that name; the message lists the valid names.
    """
    if name not in _GROUPS:
        raise ValueError(
            f"The 'name' parameter of get_feature_group must be one of "
            f"{list_feature_groups()}. Got {name!r} instead."
        )
    return _GROUPS[name]


def feature_names() -> tuple[str, ...]:
    """Every registered feature column, in order."""
    return tuple(column for group in _GROUPS.values() for column in group.columns)
