"""Search strategies on a toy space whose optimum is known."""

from __future__ import annotations

import random

import pytest

from models.nas.genotype import SearchSpaceConfig
from models.nas.guided_search import GuidedConfig, predictor_guided_evolution
from models.nas.search import (
    GeneticConfig,
    genetic_search,
    random_search,
    regularized_evolution,
)
from models.nas.space import GenotypeSpace


class BitSpace:
    """12-bit strings; the score counts ones, so the optimum is all ones (4,096 candidates)."""

    def sample(self, rng):
        return tuple(rng.randint(0, 1) for _ in range(12))

    def mutate(self, candidate, rng):
        i = rng.randrange(12)
        return candidate[:i] + (1 - candidate[i],) + candidate[i + 1 :]

    def crossover(self, first, second, rng):
        cut = rng.randrange(1, 12)
        return first[:cut] + second[cut:]

    def key(self, candidate):
        return candidate


def count_ones(candidates):
    return [sum(c) for c in candidates]


class OnesPredictor:
    """A perfect predictor: records the fits, predicts the true score."""

    def __init__(self):
        self.fits = []

    def fit(self, candidates, scores):
        self.fits.append(len(candidates))

    def predict(self, candidates):
        return count_ones(candidates)


@pytest.mark.parametrize("strategy", ["genetic", "evolution", "random"])
def test_strategies_spend_exactly_the_budget_and_are_seeded(strategy):
    run = {
        "genetic": lambda s: genetic_search(BitSpace(), count_ones, budget=200, seed=s),
        "evolution": lambda s: regularized_evolution(BitSpace(), count_ones, budget=200, seed=s),
        "random": lambda s: random_search(BitSpace(), count_ones, budget=200, seed=s),
    }[strategy]
    history = run(3)
    assert history.queries == 200
    assert [e.query for e in history.measured()] == list(range(1, 201))
    assert [e.candidate for e in run(3).evaluations] == [e.candidate for e in history.evaluations]
    assert [e.candidate for e in run(4).evaluations] != [e.candidate for e in history.evaluations]


def test_evolution_beats_random_on_the_toy_space():
    def reach(run):
        return [run(s).queries_to_reach(12) or 10_000 for s in range(10)]

    evolved = reach(lambda s: regularized_evolution(BitSpace(), count_ones, budget=400, seed=s))
    sampled = reach(lambda s: random_search(BitSpace(), count_ones, budget=400, seed=s))
    assert sum(evolved) < sum(sampled)


def test_predicted_candidates_are_flagged_and_cost_no_query():
    predictor = OnesPredictor()
    config = GeneticConfig(population=20, removal_fraction=0.5, min_train=20)
    history = genetic_search(BitSpace(), count_ones, budget=100, config=config,
                             predictor=predictor, seed=0)  # fmt: skip
    predicted = [e for e in history.evaluations if not e.measured]
    assert predicted and history.queries == 100
    assert len(history.evaluations) == 100 + len(predicted)
    assert predictor.fits == sorted(predictor.fits) and predictor.fits[0] >= 20  # refit as it grows
    # the perfect predictor skips the lower-ranked half: measured offspring score at least as high
    by_generation = {}
    for e in history.evaluations[20:]:
        by_generation.setdefault(e.generation, []).append(e)
    for entries in by_generation.values():
        measured = [e.score for e in entries if e.measured]
        skipped = [e.score for e in entries if not e.measured]
        if measured and skipped:
            assert min(measured) >= max(skipped)


def test_queries_to_reach_reports_the_first_hit():
    history = random_search(BitSpace(), count_ones, budget=50, seed=1)
    best = history.best_measured()
    first = next(e.query for e in history.measured() if e.score >= best.score)
    assert history.queries_to_reach(best.score) == first
    assert history.queries_to_reach(13) is None


@pytest.mark.parametrize(("name", "value"), [("population", 1), ("mutation_probability", 1.5),
                                             ("removal_fraction", 0.0)])  # fmt: skip
def test_bad_config_is_refused(name, value):
    with pytest.raises(ValueError, match=name):
        GeneticConfig(**{name: value})


def test_genetic_search_runs_on_cnn_genotypes():
    space = GenotypeSpace(SearchSpaceConfig(min_depth=2, max_depth=5, channel_choices=(2,)))
    config = GeneticConfig(population=6, crossover_probability=0.5)
    history = genetic_search(space, lambda gs: [float(g.depth) for g in gs], budget=20,
                             config=config, seed=0)  # fmt: skip
    assert history.queries == 20
    assert len({space.key(e.candidate) for e in history.evaluations}) == 20
    assert history.best_measured().score >= max(e.score for e in history.measured()[:6])
    assert isinstance(space.sample(random.Random(0)).depth, int)


@pytest.mark.parametrize("strategy", [genetic_search, regularized_evolution, random_search])
def test_until_stops_at_the_first_measured_hit(strategy):
    history = strategy(BitSpace(), count_ones, budget=3000, seed=2, until=11)
    assert history.best_score >= 11
    first = history.queries_to_reach(11)
    assert first is not None and history.queries - first < 30  # at most the rest of a batch


def test_guided_evolution_measures_the_predictors_top_proposals_and_is_seeded():
    predictor = OnesPredictor()
    config = GuidedConfig(initial=10, proposals=40, parents=3, batch=4, explore=0.5)
    history = predictor_guided_evolution(BitSpace(), count_ones, predictor, budget=50,
                                         config=config, seed=5)  # fmt: skip
    assert history.queries == 50 and all(e.measured for e in history.evaluations)
    assert len({e.candidate for e in history.evaluations}) == 50  # nothing measured twice
    assert predictor.fits == list(range(10, 50, 4))  # refit before every step of 4
    assert history.scored_only == 10 * (40 - 4)  # full proposal sets: 4,096 candidates
    # a perfect predictor: each step measures mutants of the best, so the scores climb fast
    assert history.queries_to_reach(12) is not None
    again = predictor_guided_evolution(BitSpace(), count_ones, OnesPredictor(), budget=50,
                                       config=config, seed=5)  # fmt: skip
    assert [e.candidate for e in again.evaluations] == [e.candidate for e in history.evaluations]


def test_guided_evolution_with_a_perfect_predictor_beats_plain_evolution():
    def reach(run):
        return [run(s).queries_to_reach(12) or 10_000 for s in range(10)]

    guided = reach(lambda s: predictor_guided_evolution(BitSpace(), count_ones, OnesPredictor(),
                                                        budget=400, seed=s))  # fmt: skip
    evolved = reach(lambda s: regularized_evolution(BitSpace(), count_ones, budget=400, seed=s))
    assert sum(guided) < 0.6 * sum(evolved)


@pytest.mark.parametrize(("name", "value"), [("proposals", 0), ("batch", 500), ("explore", 1.5)])
def test_bad_guided_config_is_refused(name, value):
    with pytest.raises(ValueError, match=name):
        GuidedConfig(**{name: value})
