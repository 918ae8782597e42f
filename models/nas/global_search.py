"""Predictor-ranked search over a whole enumerable space: the predictor scores every candidate.

:func:`models.nas.guided_search.predictor_guided_evolution` lets a predictor filter a few
hundred *mutants* of the best measured candidates. When the space is small enough to list
(NAS-Bench-Graph: 26,206 architectures) and scoring costs no training (structural features),
the predictor can instead rank *every* unmeasured candidate each step — the acquisition over the
full pool of BANANAS (White et al. 2021). After ``initial`` random candidates are measured,
every step

1. offers the predictor all measured candidates to refit on (the predictor decides whether a
   refit is due, e.g. :class:`ingest.nas_bench_search.TablePredictor` when the measured set
   grew by 25%);
2. predicts every unmeasured candidate in one call;
3. measures the ``batch`` predicted best — each slot, with probability ``explore``, a random
   unmeasured candidate instead.

**Tie rule.** A run draws one seeded random order of the space,
``random.Random(seed).sample(range(n), n)`` over the positions of
:meth:`EnumerableSpace.candidates`.
The ``initial`` candidates are the first of that order, and candidates predicted equal are
measured in that order (NaN predictions rank last). A constant predictor therefore measures the
space in that order: random search without replacement.

Only measured candidates cost a query and enter the history (all measured, never one twice);
the unmeasured ones scored each step are counted in
:attr:`~models.nas.search.SearchHistory.scored_only`. The space must list its candidates
(:class:`EnumerableSpace`); one that cannot (the CNN genotypes) is refused.
"""

from __future__ import annotations

import random
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

from models.nas.search import (
    EnumerableSpace,
    Evaluate,
    Predictor,
    SearchHistory,
    T,
    _check,
    _measure,
    _reached,
)

__all__ = ["GlobalConfig", "predictor_global_search"]


@dataclass(frozen=True)
class GlobalConfig:
    """Settings of :func:`predictor_global_search`: ``initial`` and ``batch`` as
    :class:`~models.nas.guided_search.GuidedConfig`'s, no exploration; not tuned yet (the
    50-seed comparison with regularized evolution is still to be run)."""

    initial: int = 20  # random candidates measured before the predictor is first fitted
    batch: int = 5  # candidates measured per step (the predictor's top ranks)
    explore: float = 0.0  # chance a measured slot is a random unmeasured candidate instead

    def __post_init__(self) -> None:
        for name in ("initial", "batch"):
            value = getattr(self, name)
            _check(name, value, isinstance(value, int) and value >= 1, "an int >= 1")
        _check("explore", self.explore, 0.0 <= self.explore <= 1.0, "a float in [0, 1]")


def predictor_global_search(
    space: EnumerableSpace[T],
    evaluate: Evaluate,
    predictor: Predictor[T],
    *,
    budget: int,
    config: GlobalConfig | None = None,
    seed: int = 0,
    until: float | None = None,
) -> SearchHistory[T]:
    """Search ``space`` measuring the unmeasured candidates ``predictor`` ranks first (module docs).

    Parameters
    ----------
    budget:
        Queries (measured candidates) to spend; fewer if the space runs out first.
    until:
        Stop early once a measured score reaches this.

    Raises
    ------
    TypeError
        If ``space`` cannot list its candidates (no ``candidates()`` method).
    ValueError
        If a parameter is out of range, or two listed candidates share a key.
    """
    config = config or GlobalConfig()
    _check("budget", budget, budget >= 1, "an int >= 1")
    candidates = _listed(space)
    n = len(candidates)
    rng = random.Random(seed)
    order = np.asarray(rng.sample(range(n), n), dtype=np.int64)  # the run's random order
    priority = np.empty(n, dtype=np.int64)
    priority[order] = np.arange(n)  # position of each candidate in that order (ties)
    measured = np.zeros(n, dtype=bool)
    history: SearchHistory[T] = SearchHistory()
    first = order[: min(config.initial, budget, n)]
    measured[first] = True
    _measure([candidates[i] for i in first], evaluate, history, generation=0)
    step = 0
    while history.queries < budget and not _reached(history, until) and not measured.all():
        step += 1
        done = history.measured()
        predictor.fit([e.candidate for e in done], [e.score for e in done])
        pool = np.flatnonzero(~measured)
        predicted = np.asarray(predictor.predict([candidates[i] for i in pool]), dtype=float)
        ranked = pool[np.lexsort((priority[pool], -predicted))]  # best first, then the order
        chosen = _choose(ranked, pool, min(config.batch, budget - history.queries), config, rng)
        measured[chosen] = True
        history.scored_only += pool.size - len(chosen)
        _measure([candidates[i] for i in chosen], evaluate, history, generation=step)
    return history


def _listed(space) -> list:
    """The space's candidates, checked once: listable, and no key twice."""
    lister = getattr(space, "candidates", None)
    if not callable(lister):
        raise TypeError(
            f"predictor_global_search needs a space that lists its candidates (a candidates() "
            f"method, see models.nas.search.EnumerableSpace); {type(space).__name__} cannot "
            f"enumerate its space."
        )
    candidates = list(lister())
    keys: set[Hashable] = {space.key(c) for c in candidates}
    if len(keys) != len(candidates):
        raise ValueError(
            f"The candidates() of {type(space).__name__} list {len(candidates)} candidates "
            f"but only {len(keys)} distinct keys."
        )
    if not candidates:
        raise ValueError(f"The candidates() of {type(space).__name__} list no candidate.")
    return candidates


def _choose(ranked, pool, count, config, rng) -> list[int]:
    """``count`` distinct positions: the next of ``ranked``, or (``explore``) a random one of
    ``pool``."""
    chosen: list[int] = []
    taken: set[int] = set()
    next_ranked = 0
    count = min(count, pool.size)
    while len(chosen) < count:
        if config.explore and rng.random() < config.explore:
            pick = int(pool[rng.randrange(pool.size)])
            if pick in taken:
                continue
        else:
            while int(ranked[next_ranked]) in taken:
                next_ranked += 1
            pick = int(ranked[next_ranked])
        chosen.append(pick)
        taken.add(pick)
    return chosen
