"""Regressor fits for the dashboard: cached per study data version, one progress bar each.

Fitting is slow (minutes on a few hundred networks), so results are kept — but keyed by what
they depend on, not by the warehouse file: a *data version* of the meta-dataset rows that are
fitted (a hash of their values, :func:`data_version`) plus the settings, and each regressor on
its own. So an ingest into another study, or a study's networks landing in another group of
the pooled view, keeps the cache; adding a regressor to the selection fits only that one; and
each regressor reports its own progress (:func:`evaluate`'s ``on_progress``).

The cache is in-process (an LRU of :data:`MAX_ENTRIES` results, shared by the sessions of a
dashboard server): Streamlit's ``cache_data`` cannot hold a function that draws progress into
the page while it runs.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import polars as pl

from analytics.meta_dataset import MetaDataset
from analytics.regressors import RegressionResult, evaluate_regressors

__all__ = ["MAX_ENTRIES", "data_version", "evaluate", "is_cached"]

MAX_ENTRIES = 128  # (regressor, settings, data version) results kept

_CACHE: OrderedDict[tuple, RegressionResult] = OrderedDict()
_CACHE_LOCK = threading.Lock()

# on_progress(regressor, fraction done in [0, 1], came from the cache)
OnProgress = Callable[[str, float, bool], None]


def data_version(meta: MetaDataset, *, target: str, by: str | None) -> str:
    """A hash of exactly the data a fit uses: the target, its features and the group column,
    row by row (network ids included), so it changes when and only when those values do.

    >>> frame = pl.DataFrame({"network_id": ["a", "b"], "x": [1.0, 2.0], "acc": [0.5, 0.7]})
    >>> meta = MetaDataset(frame=frame, features=["x"], metrics=["acc"])
    >>> data_version(meta, target="acc", by=None) == data_version(meta, target="acc", by=None)
    True
    >>> changed = MetaDataset(frame=frame.with_columns(acc=pl.lit(0.6)), features=["x"],
    ...                       metrics=["acc"])
    >>> data_version(changed, target="acc", by=None) == data_version(meta, target="acc", by=None)
    False
    """
    columns = ["network_id", target, *meta.features_for(target), *([by] if by else [])]
    used = meta.frame.select(list(dict.fromkeys(c for c in columns if c in meta.frame.columns)))
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(list(used.schema.items())).encode())
    digest.update(used.hash_rows(seed=0).to_numpy().tobytes())
    return digest.hexdigest()


def evaluate(
    meta: MetaDataset,
    *,
    version_of: str,
    target: str,
    by: str | None,
    regressors: Sequence[str],
    n_splits: int,
    n_repeats: int,
    seed: int = 0,
    importances: bool = False,
    bootstrap: int = 0,
    on_progress: OnProgress | None = None,
) -> RegressionResult:
    """:func:`analytics.regressors.evaluate_regressors` on ``meta``, one regressor at a time.

    Parameters
    ----------
    version_of:
        What ``meta`` holds (e.g. the warehouse path and study), part of the cache key with
        :func:`data_version`.
    on_progress:
        Called with each regressor's progress (fraction of its fits done) as it runs, and
        once with 1.0 for a regressor taken from the cache.

    Returns
    -------
    RegressionResult
        As ``evaluate_regressors(regressors=regressors, ...)`` returns it: scores by group,
        then regressor in the order given.
    """
    meta.require_target(target)
    meta.require_group(by)
    version = data_version(meta, target=target, by=by)
    settings = (version_of, version, target, by, n_splits, n_repeats, seed, importances, bootstrap)
    parts = []
    for name in regressors:
        key = (*settings, name)
        with _CACHE_LOCK:
            result = _CACHE.get(key)
            if result is not None:
                _CACHE.move_to_end(key)
        if result is not None:
            if on_progress is not None:
                on_progress(name, 1.0, True)
        else:
            result = evaluate_regressors(
                meta.frame, target=target, features=meta.features_for(target), by=by,
                regressors=[name], n_splits=n_splits, n_repeats=n_repeats, seed=seed,
                importances=importances, bootstrap=bootstrap, n_jobs=-1,
                progress=None if on_progress is None else (
                    lambda done, total, name=name: on_progress(name, done / total, False)
                ),
            )  # fmt: skip
            with _CACHE_LOCK:
                _CACHE[key] = result
                while len(_CACHE) > MAX_ENTRIES:
                    _CACHE.popitem(last=False)
        parts.append(result)
    order = {name: i for i, name in enumerate(regressors)}
    return RegressionResult(
        scores=_in_order(pl.concat([p.scores for p in parts]), order),
        importances=_in_order(pl.concat([p.importances for p in parts]), order),
    )


def is_cached(meta: MetaDataset, *, version_of: str, target: str, by: str | None,
              regressor: str, n_splits: int, n_repeats: int, seed: int = 0,
              importances: bool = False, bootstrap: int = 0) -> bool:  # fmt: skip
    """Whether :func:`evaluate` would take ``regressor`` from the cache."""
    version = data_version(meta, target=target, by=by)
    key = (version_of, version, target, by, n_splits, n_repeats, seed, importances, bootstrap)
    with _CACHE_LOCK:
        return (*key, regressor) in _CACHE


def _in_order(frame: pl.DataFrame, order: dict[str, int]) -> pl.DataFrame:
    """Group-major, then the regressors' given order (as evaluate_regressors returns rows)."""
    rank = pl.col("regressor").replace_strict(order, return_dtype=pl.Int64)
    return frame.with_columns(_rank=rank).sort("group", "_rank", maintain_order=True).drop("_rank")
