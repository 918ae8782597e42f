"""Predictor-ranked search over a small enumerable space whose scores are known by hand."""

from __future__ import annotations

import math
import random

import pytest

from models.nas.genotype import SearchSpaceConfig
from models.nas.global_search import GlobalConfig, predictor_global_search
from models.nas.space import GenotypeSpace

N = 61  # prime: score(i) = 7 i mod 61 is a permutation of 0..60, so every score is distinct
BEST = pow(7, -1, N) * (N - 1) % N  # the candidate scoring 60 (i = 26)


class ListSpace:
    """Candidates 0..60 listed in order; the variation operators are never needed."""

    def candidates(self):
        return [f"c{i}" for i in range(N)]

    def sample(self, rng):
        raise AssertionError("the global search samples from its own order")

    mutate = crossover = sample

    def key(self, candidate):
        return candidate


def score(candidate):
    return 7 * int(candidate[1:]) % N


def evaluate(candidates):
    return [score(c) for c in candidates]


class Recording:
    """Records the fits and every predicted batch; ``value(candidate)`` is its prediction."""

    def __init__(self, value):
        self.value, self.fits, self.asked = value, [], []

    def fit(self, candidates, scores):
        self.fits.append(len(candidates))

    def predict(self, candidates):
        self.asked.append(list(candidates))
        return [self.value(c) for c in candidates]


def run(predictor, *, budget=30, seed=0, **config):
    config = GlobalConfig(**{"initial": 4, "batch": 3, **config})
    return predictor_global_search(ListSpace(), evaluate, predictor, budget=budget,
                                   config=config, seed=seed)  # fmt: skip


def test_is_seeded_and_measures_only_what_it_looks_up():
    predictor = Recording(score)
    history = run(predictor, budget=25, seed=3)
    again = run(Recording(score), budget=25, seed=3)
    other = run(Recording(score), budget=25, seed=4)
    assert [e.candidate for e in again.evaluations] == [e.candidate for e in history.evaluations]
    assert [e.candidate for e in other.evaluations] != [e.candidate for e in history.evaluations]
    assert history.queries == 25 and all(e.measured for e in history.evaluations)
    assert [e.query for e in history.evaluations] == list(range(1, 26))
    assert [e.score for e in history.evaluations] == evaluate(
        [e.candidate for e in history.evaluations]
    )
    assert predictor.fits == [4, 7, 10, 13, 16, 19, 22]  # offered every measured set, each step
    # each step predicts exactly the unmeasured candidates, once each
    measured_before = [set(e.candidate for e in history.evaluations[:k]) for k in predictor.fits]
    for asked, before in zip(predictor.asked, measured_before, strict=True):
        assert sorted(asked) == sorted(set(ListSpace().candidates()) - before)
    assert history.scored_only == sum(len(a) for a in predictor.asked) - (25 - 4)


def test_never_queries_a_candidate_twice_and_stops_when_the_space_is_used_up():
    history = run(Recording(lambda c: 0.0), budget=1000, seed=1, explore=0.5)
    assert history.queries == N
    assert sorted(e.candidate for e in history.evaluations) == sorted(ListSpace().candidates())


@pytest.mark.parametrize("seed", [0, 5])
def test_an_oracle_finds_the_best_in_the_first_step_and_a_demoted_best_in_ceil_r_over_batch(seed):
    initial = {e.candidate for e in run(Recording(score), budget=4, seed=seed).evaluations}
    assert f"c{BEST}" not in initial  # both seeds: the best is not among the 4 random ones
    oracle = run(Recording(score), seed=seed)
    assert oracle.queries_to_reach(N - 1) == 4 + 1  # the first look-up after the initial ones
    assert oracle.measured()[4].generation == 1
    # the oracle's first step measures the 3 best unmeasured, best first
    top = sorted(set(ListSpace().candidates()) - initial, key=score, reverse=True)[:3]
    assert [e.candidate for e in oracle.measured()[4:7]] == top
    # predict the best just below the 7 candidates scoring 53..59: it ranks 8th among the
    # unmeasured, less those of the 7 measured initially, and a step measures 3
    decoys = {f"c{i}" for i in range(N) if 53 <= score(f"c{i}") < N - 1}
    demoted = run(Recording(lambda c: 52.5 if c == f"c{BEST}" else score(c)), seed=seed)
    rank = len(decoys - initial) + 1
    first = demoted.queries_to_reach(N - 1)
    assert first == 4 + rank
    assert demoted.measured()[first - 1].generation == math.ceil(rank / 3)


@pytest.mark.parametrize("seed", [2, 9])
def test_a_constant_predictor_measures_the_runs_random_order(seed):
    # the tie rule: equal predictions are measured in random.Random(seed).sample(range(n), n)
    history = run(Recording(lambda c: 0.5), budget=40, seed=seed)
    order = random.Random(seed).sample(range(N), N)
    assert [e.candidate for e in history.evaluations] == [f"c{i}" for i in order[:40]]


def test_ties_are_broken_by_the_order_within_equal_predictions_only():
    # two levels: every candidate predicted high is measured before any predicted low
    high = {f"c{i}" for i in range(0, N, 5)}  # 13 candidates
    history = run(Recording(lambda c: 1.0 if c in high else 0.0), budget=4 + 13, seed=7)
    initial = {e.candidate for e in history.evaluations[:4]}
    later = [e.candidate for e in history.evaluations[4:]]
    order = [f"c{i}" for i in random.Random(7).sample(range(N), N)]
    expected = [c for c in order if c in high and c not in initial]
    expected += [c for c in order if c not in high and c not in initial]
    assert later == expected[:13]


def test_explore_picks_random_unmeasured_candidates():
    greedy = run(Recording(score), budget=34, seed=0)
    explored = run(Recording(score), budget=34, seed=0, explore=1.0)
    assert [e.candidate for e in explored.evaluations[:4]] == [
        e.candidate for e in greedy.evaluations[:4]
    ]
    later = [e.candidate for e in explored.evaluations[4:]]
    assert len(set(later)) == 30 and not set(later) & {e.candidate for e in greedy.evaluations[:4]}
    # greedy measures the 30 best unmeasured; all-random picks cannot all be those (p ~ 1e-16)
    assert sorted(score(c) for c in later) != sorted(
        score(e.candidate) for e in greedy.evaluations[4:]
    )


def test_a_space_that_cannot_list_its_candidates_is_refused():
    space = GenotypeSpace(SearchSpaceConfig(min_depth=2, max_depth=3, channel_choices=(2,)))
    with pytest.raises(TypeError, match="GenotypeSpace cannot enumerate its space"):
        predictor_global_search(space, lambda gs: [1.0] * len(gs), Recording(lambda c: 0.0),
                                budget=10)  # fmt: skip


def test_a_listing_with_repeated_keys_is_refused():
    class Twice(ListSpace):
        def candidates(self):
            return ["c1", "c2", "c1"]

    with pytest.raises(ValueError, match="3 candidates but only 2 distinct keys"):
        predictor_global_search(Twice(), evaluate, Recording(score), budget=2)


@pytest.mark.parametrize(("name", "value"), [("initial", 0), ("batch", 0), ("explore", 1.5)])
def test_bad_global_config_is_refused(name, value):
    with pytest.raises(ValueError, match=name):
        GlobalConfig(**{name: value})
