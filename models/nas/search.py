"""Search strategies over any space: the genetic loop, regularized evolution, random search.

The strategies know nothing about CNNs or tables: a :class:`SearchSpace` says how to sample,
mutate, cross over and fingerprint candidates, and ``evaluate(candidates) -> scores`` measures
a batch (trains CNNs, or looks architectures up in NAS-Bench-Graph). Higher scores are better.
Every measured candidate costs one *query*; the budget counts queries.

An optional :class:`Predictor` (e.g. a regressor on structural features) lets the genetic loop
skip measurements: once it has been fitted on ``min_train`` measured candidates, each
generation's offspring are ranked by predicted score and the ``estimation_fraction`` ranked
lowest are *not* measured — they join the population with their predicted score, flagged
``measured=False`` in the history, and are never counted as found. The predictor is refitted
on all measured candidates every generation.

Everything is driven by one seeded ``random.Random``, so a run is reproducible from its seed.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

__all__ = [
    "EnumerableSpace",
    "Evaluation",
    "GeneticConfig",
    "Predictor",
    "SearchHistory",
    "SearchSpace",
    "genetic_search",
    "random_search",
    "regularized_evolution",
]

T = TypeVar("T")
Evaluate = Callable[[Sequence[T]], Sequence[float]]


class SearchSpace(Protocol[T]):
    """What a strategy needs to know about the candidates it searches."""

    def sample(self, rng: random.Random) -> T: ...

    def mutate(self, candidate: T, rng: random.Random) -> T: ...

    def crossover(self, first: T, second: T, rng: random.Random) -> T: ...

    def key(self, candidate: T) -> Hashable: ...


class EnumerableSpace(SearchSpace[T], Protocol[T]):
    """A space small enough to list: the optional ``candidates()`` a strategy scoring the whole
    space needs (:mod:`models.nas.global_search`). The CNN genotype space has none."""

    def candidates(self) -> Sequence[T]:
        """Every candidate of the space, once each, in a fixed order."""
        ...


class Predictor(Protocol[T]):
    """A score model refitted as measurements arrive."""

    def fit(self, candidates: Sequence[T], scores: Sequence[float]) -> None: ...

    def predict(self, candidates: Sequence[T]) -> Sequence[float]: ...


@dataclass(frozen=True)
class Evaluation(Generic[T]):
    """One scored candidate: ``measured`` by ``evaluate`` (costing a query) or predicted."""

    candidate: T
    score: float
    measured: bool
    query: int  # queries spent when this score was known (including this one if measured)
    generation: int


@dataclass
class SearchHistory(Generic[T]):
    """Every candidate a search scored, in order."""

    evaluations: list[Evaluation[T]] = field(default_factory=list)
    best_score: float = -math.inf  # highest measured score so far
    # candidates a predictor scored that were neither measured nor recorded as evaluations
    # (models.nas.guided_search scores hundreds per step)
    scored_only: int = 0

    @property
    def queries(self) -> int:
        """Measured candidates."""
        return sum(e.measured for e in self.evaluations)

    def measured(self) -> list[Evaluation[T]]:
        """The measured evaluations, in query order."""
        return [e for e in self.evaluations if e.measured]

    def best_measured(self) -> Evaluation[T]:
        """The measured evaluation with the highest score (the first among ties)."""
        return max(self.measured(), key=lambda e: e.score)

    def queries_to_reach(self, threshold: float) -> int | None:
        """Queries spent when a measured score first reached ``threshold`` (None: never)."""
        for e in self.measured():
            if e.score >= threshold:
                return e.query
        return None


@dataclass(frozen=True)
class GeneticConfig:
    """The genetic loop's settings; defaults are the paper's (§ 4.4)."""

    population: int = 30  # candidates alive at once
    mutation_probability: float = 0.5  # chance an offspring is mutated
    crossover_probability: float = 0.0  # chance an offspring is a crossover of two parents
    removal_fraction: float = 0.1  # worst fraction removed and replaced every generation
    tournament_size: int = 3  # parents are the best of this many random members
    estimation_fraction: float = 0.5  # offspring scored by the predictor only, when one is given
    min_train: int = 20  # measured candidates before the predictor is first used

    def __post_init__(self) -> None:
        _check("population", self.population, self.population >= 2, "an int >= 2")
        for name in ("mutation_probability", "crossover_probability", "estimation_fraction"):
            value = getattr(self, name)
            _check(name, value, 0.0 <= value <= 1.0, "a float in [0, 1]")
        _check("removal_fraction", self.removal_fraction,
               0.0 < self.removal_fraction < 1.0, "a float in (0, 1)")  # fmt: skip
        _check("tournament_size", self.tournament_size, self.tournament_size >= 1, "an int >= 1")
        _check("min_train", self.min_train, self.min_train >= 2, "an int >= 2")


def genetic_search(
    space: SearchSpace[T],
    evaluate: Evaluate,
    *,
    budget: int,
    config: GeneticConfig | None = None,
    predictor: Predictor[T] | None = None,
    seed: int = 0,
    until: float | None = None,
    on_generation: Callable[[int, SearchHistory[T]], None] | None = None,
) -> SearchHistory[T]:
    """The genetic loop of Irwin-Harris et al. with an optional predictor.

    A random population is measured; then every generation removes the worst
    ``removal_fraction`` (at least one) and refills the population with offspring of
    tournament-selected parents: crossed over with ``crossover_probability``, mutated with
    ``mutation_probability``, and freshly *re-sampled* when neither happens. Candidates already
    scored are re-drawn (up to a few tries) so the budget is not spent twice on one.

    Parameters
    ----------
    budget:
        Queries (measured candidates) to spend; the search stops when it is used up.
    until:
        Stop early once a measured score reaches this (every strategy takes it).
    on_generation:
        Called as ``on_generation(generation, history)`` after each generation (progress).
    """
    config = config or GeneticConfig()
    _check("budget", budget, budget >= 1, "an int >= 1")
    rng = random.Random(seed)
    history: SearchHistory[T] = SearchHistory()
    seen: set[Hashable] = set()
    first = _fresh(space, rng, seen, min(config.population, budget))
    population = _measure(first, evaluate, history, generation=0)
    generation = 0
    while history.queries < budget and not _reached(history, until):
        generation += 1
        population.sort(key=lambda e: e.score, reverse=True)
        removed = max(1, math.floor(config.removal_fraction * len(population)))
        population = population[:-removed]
        offspring = [_offspring(space, rng, population, config, seen) for _ in range(removed)]
        measured_fit = history.measured()
        use_predictor = predictor is not None and len(measured_fit) >= config.min_train
        if use_predictor:
            predictor.fit([e.candidate for e in measured_fit], [e.score for e in measured_fit])
            predicted = list(predictor.predict(offspring))
            order = sorted(range(len(offspring)), key=lambda i: predicted[i], reverse=True)
            keep = len(offspring) - math.floor(config.estimation_fraction * len(offspring))
            keep = max(1, keep)
            to_measure = [offspring[i] for i in order[:keep]]
            estimated = [(offspring[i], float(predicted[i])) for i in order[keep:]]
        else:
            to_measure, estimated = offspring, []
        to_measure = to_measure[: budget - history.queries]
        population += _measure(to_measure, evaluate, history, generation=generation)
        for candidate, score in estimated:
            entry = Evaluation(candidate, score, False, history.queries, generation)
            history.evaluations.append(entry)
            population.append(entry)
        if on_generation is not None:
            on_generation(generation, history)
    return history


def regularized_evolution(
    space: SearchSpace[T],
    evaluate: Evaluate,
    *,
    budget: int,
    population: int = 30,
    sample_size: int = 10,
    seed: int = 0,
    until: float | None = None,
    predictor: Predictor[T] | None = None,
    estimation_fraction: float = 0.5,
    min_train: int = 20,
) -> SearchHistory[T]:
    """Aging evolution (Real et al. 2019): mutate the best of a random sample, drop the oldest.

    The population is a queue of ``population`` measured candidates; each step draws
    ``sample_size`` of them, mutates the best into a child, measures it, appends it and removes
    the oldest member — whatever its score.

    With a ``predictor`` (once ``min_train`` candidates are measured) each step proposes
    ``1 / (1 - estimation_fraction)`` children (2 for the default 0.5) from as many sampled
    parents; the predictor is refitted on every measured candidate, the child it ranks first
    is measured and joins the queue, the others are recorded as predicted (``measured=False``)
    and may be proposed again later.
    """
    _check("budget", budget, budget >= 1, "an int >= 1")
    _check("population", population, population >= 1, "an int >= 1")
    _check("sample_size", sample_size, 1 <= sample_size <= population, "in [1, population]")
    _check("estimation_fraction", estimation_fraction, 0.0 <= estimation_fraction < 1.0,
           "a float in [0, 1)")  # fmt: skip
    rng = random.Random(seed)
    history: SearchHistory[T] = SearchHistory()
    seen: set[Hashable] = set()
    queue = deque(_measure(_fresh(space, rng, seen, min(population, budget)), evaluate, history,
                           generation=0))  # fmt: skip
    proposals = max(1, round(1 / (1 - estimation_fraction)))
    step = 0
    while history.queries < budget and not _reached(history, until):
        step += 1
        use_predictor = predictor is not None and history.queries >= min_train
        children = []
        for _ in range(proposals if use_predictor else 1):
            parent = max(rng.sample(list(queue), sample_size), key=lambda e: e.score)
            children.append(_unseen(lambda p=parent: space.mutate(p.candidate, rng), space, seen))
        if use_predictor:
            measured = history.measured()
            predictor.fit([e.candidate for e in measured], [e.score for e in measured])
            predicted = list(predictor.predict(children))
            best = max(range(len(children)), key=lambda i: predicted[i])
            for i, child in enumerate(children):
                if i != best:
                    history.evaluations.append(
                        Evaluation(child, float(predicted[i]), False, history.queries, step)
                    )
                    seen.discard(space.key(child))
            children = [children[best]]
        queue.extend(_measure(children, evaluate, history, generation=step))
        queue.popleft()
    return history


def random_search(
    space: SearchSpace[T],
    evaluate: Evaluate,
    *,
    budget: int,
    seed: int = 0,
    batch: int = 30,
    until: float | None = None,
) -> SearchHistory[T]:
    """Measure ``budget`` distinct random samples (in batches of ``batch``)."""
    _check("budget", budget, budget >= 1, "an int >= 1")
    rng = random.Random(seed)
    history: SearchHistory[T] = SearchHistory()
    seen: set[Hashable] = set()
    generation = 0
    while history.queries < budget and not _reached(history, until):
        size = min(batch, budget - history.queries)
        _measure(_fresh(space, rng, seen, size), evaluate, history, generation=generation)
        generation += 1
    return history


_TRIES = 20  # draws before a duplicate candidate is accepted (small spaces run out)


def _offspring(space, rng, population, config, seen):
    def draw():
        roll = rng.random()
        if roll < config.crossover_probability:
            first = _tournament(rng, population, config).candidate
            second = _tournament(rng, population, config).candidate
            child = space.crossover(first, second, rng)
            if rng.random() < config.mutation_probability:
                child = space.mutate(child, rng)
            return child
        if roll < config.crossover_probability + (1 - config.crossover_probability) * (
            config.mutation_probability
        ):
            return space.mutate(_tournament(rng, population, config).candidate, rng)
        return space.sample(rng)  # re-sampling

    return _unseen(draw, space, seen)


def _tournament(rng, population, config):
    size = min(config.tournament_size, len(population))
    return max(rng.sample(population, size), key=lambda e: e.score)


def _unseen(draw, space, seen):
    for _ in range(_TRIES):
        candidate = draw()
        if space.key(candidate) not in seen:
            break
    seen.add(space.key(candidate))
    return candidate


def _fresh(space, rng, seen, count):
    return [_unseen(lambda: space.sample(rng), space, seen) for _ in range(count)]


def _measure(candidates, evaluate, history, *, generation):
    if not candidates:
        return []
    scores = list(evaluate(candidates))
    if len(scores) != len(candidates):
        raise ValueError(
            f"evaluate returned {len(scores)} scores for {len(candidates)} candidates."
        )
    entries = []
    for candidate, score in zip(candidates, scores, strict=True):
        entry = Evaluation(candidate, float(score), True, history.queries + 1, generation)
        history.evaluations.append(entry)
        history.best_score = max(history.best_score, entry.score)
        entries.append(entry)
    return entries


def _reached(history, until):
    return until is not None and history.best_score >= until


def _check(name, value, ok, expected):
    if not ok:
        raise ValueError(f"The {name!r} parameter must be {expected}. Got {value!r} instead.")
