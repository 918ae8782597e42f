"""Predictor-guided evolution: propose many mutants, look up only the ones the predictor likes.

In the aging evolution of :func:`models.nas.search.regularized_evolution` a predictor can only
pick between the two children of one step, so it barely changes what gets measured. Here it is
the *filter* of predictor-assisted NAS (BANANAS, White et al. 2021; NPENAS, Wei et al. 2022):
after ``initial`` random candidates are measured, every step

1. refits the predictor on all measured candidates (the predictor decides when a refit is due);
2. proposes ``proposals`` distinct unseen candidates — a mutation of one of the ``parents``
   best measured candidates, or (with probability ``explore``) a fresh random sample;
3. measures only the ``batch`` proposals the predictor ranks highest.

Only measured candidates cost a query and enter the history as measured; the proposals scored
but not measured are counted in :attr:`~models.nas.search.SearchHistory.scored_only` (hundreds
per step, so they are not recorded one by one) and may be proposed again later.

Everything is driven by one seeded ``random.Random``: a run is reproducible from its seed.
"""

from __future__ import annotations

import random
from collections.abc import Hashable
from dataclasses import dataclass

from models.nas.search import (
    Evaluate,
    Predictor,
    SearchHistory,
    SearchSpace,
    T,
    _check,
    _fresh,
    _measure,
    _reached,
)

__all__ = ["GuidedConfig", "predictor_guided_evolution"]


@dataclass(frozen=True)
class GuidedConfig:
    """Settings of :func:`predictor_guided_evolution` (chosen on NAS-Bench-Graph cora runs with
    seeds 1000–1019, not the seeds the results report)."""

    initial: int = 20  # random candidates measured before the predictor is first fitted
    proposals: int = 300  # unseen candidates the predictor scores per step
    parents: int = 10  # best measured candidates whose mutants are proposed
    batch: int = 5  # proposals measured per step (the predictor's top ranks)
    explore: float = 0.1  # chance a proposal is a fresh random sample, not a mutant

    def __post_init__(self) -> None:
        for name in ("initial", "proposals", "parents", "batch"):
            value = getattr(self, name)
            _check(name, value, isinstance(value, int) and value >= 1, "an int >= 1")
        _check("batch", self.batch, self.batch <= self.proposals, "at most 'proposals'")
        _check("explore", self.explore, 0.0 <= self.explore <= 1.0, "a float in [0, 1]")


def predictor_guided_evolution(
    space: SearchSpace[T],
    evaluate: Evaluate,
    predictor: Predictor[T],
    *,
    budget: int,
    config: GuidedConfig | None = None,
    seed: int = 0,
    until: float | None = None,
) -> SearchHistory[T]:
    """Search ``space`` measuring only the proposals ``predictor`` ranks first (module docs).

    Parameters
    ----------
    budget:
        Queries (measured candidates) to spend.
    until:
        Stop early once a measured score reaches this.
    """
    config = config or GuidedConfig()
    _check("budget", budget, budget >= 1, "an int >= 1")
    rng = random.Random(seed)
    history: SearchHistory[T] = SearchHistory()
    seen: set[Hashable] = set()
    _measure(_fresh(space, rng, seen, min(config.initial, budget)), evaluate, history,
             generation=0)  # fmt: skip
    step = 0
    while history.queries < budget and not _reached(history, until):
        step += 1
        measured = history.measured()
        predictor.fit([e.candidate for e in measured], [e.score for e in measured])
        best = sorted(measured, key=lambda e: e.score, reverse=True)[: config.parents]
        proposals = _propose(space, rng, seen, [e.candidate for e in best], config)
        if not proposals:  # the space around the parents is exhausted: measure random ones
            proposals = _fresh(space, rng, seen, config.batch)
            for candidate in proposals:
                seen.discard(space.key(candidate))
        predicted = list(predictor.predict(proposals))
        order = sorted(range(len(proposals)), key=lambda i: predicted[i], reverse=True)
        chosen = [proposals[i] for i in order[: min(config.batch, budget - history.queries)]]
        seen.update(space.key(c) for c in chosen)
        history.scored_only += len(proposals) - len(chosen)
        _measure(chosen, evaluate, history, generation=step)
    return history


def _propose(space, rng, seen, parents, config) -> list:
    """Up to ``config.proposals`` distinct candidates not seen yet (a few draws per slot)."""
    proposals: dict[Hashable, object] = {}
    for _ in range(5 * config.proposals):
        if len(proposals) == config.proposals:
            break
        if rng.random() < config.explore:
            candidate = space.sample(rng)
        else:
            candidate = space.mutate(rng.choice(parents), rng)
        key = space.key(candidate)
        if key not in seen and key not in proposals:
            proposals[key] = candidate
    return list(proposals.values())
