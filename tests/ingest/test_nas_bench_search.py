"""Search on the NAS-Bench-Graph table: operators, look-ups, predictor, reported outcomes.

Runs on proteins (2,021 architectures) to stay quick; the 50-seed comparison is
benchmarks/bench_nas_table_search.py."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import BayesianRidge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

pytest.importorskip("nas_bench_graph", reason="needs the 'nasbench' extra (scripts/test.sh)")

from ingest.nas_bench_graph import decode_hash  # noqa: E402
from ingest.nas_bench_search import (  # noqa: E402
    BenchTable,
    TablePredictor,
    TableSpace,
    outcome_of,
    queries_to_reach,
    run_strategy,
    structural_features,
)


@pytest.fixture(scope="module")
def proteins():
    table = BenchTable.load("proteins")
    return table, structural_features(table)


def test_table_lookups_and_thresholds(proteins):
    table, features = proteins
    assert table.valid.size == 2021 and features.shape[0] == 2021
    assert not np.isnan(features).all(axis=0).any()
    h = table.hashes[7]
    assert table.evaluate([h]) == [table.frame["valid_perf"][7]]
    ranked = sorted(table.frame["valid_perf"].to_list(), reverse=True)
    assert table.threshold(0.01) == ranked[20]  # ceil(20.21) = 21st best
    assert table.threshold(1e-9) == ranked[0]


def test_mutation_and_crossover_stay_in_the_table(proteins):
    table, _ = proteins
    space, rng = TableSpace(table), random.Random(0)
    for _ in range(200):
        parent, other = space.sample(rng), space.sample(rng)
        child = space.mutate(parent, rng)
        assert child in table.row and child != parent
        before, after = Counter(decode_hash(parent)[1]), Counter(decode_hash(child)[1])
        assert sum(((before - after) + (after - before)).values()) <= 2  # one op, or the links
        mixed = space.crossover(parent, other, rng)
        assert mixed in table.row
        assert not Counter(decode_hash(mixed)[1]) - (before + Counter(decode_hash(other)[1]))


def _direct_bayesian_ridge(features, valid):
    """The predictor's pipeline built and fitted with scikit-learn directly (the independent
    answer): median imputation, min-max scaling, BayesianRidge."""
    direct = make_pipeline(SimpleImputer(strategy="median"), MinMaxScaler(), BayesianRidge())
    return direct.fit(features, valid)


@pytest.mark.filterwarnings("ignore:Skipping features without any observed values")
def test_predictor_is_the_registry_regressor_refitted_as_data_grows(proteins):
    table, features = proteins
    predictor = TablePredictor(table, features, regressor="bayesian_ridge", refit_growth=0.5)
    hashes = table.hashes
    predictor.fit(hashes[:100], table.evaluate(hashes[:100]))
    predictor.fit(hashes[:140], table.evaluate(hashes[:140]))  # +40%: no refit
    assert (predictor.fits_, predictor.fitted_on_) == (1, 100)
    predictor.fit(hashes[:150], table.evaluate(hashes[:150]))
    assert (predictor.fits_, predictor.fitted_on_) == (2, 150)
    direct = _direct_bayesian_ridge(features[:150], table.valid[:150])
    np.testing.assert_allclose(
        predictor.predict(hashes[500:520]), direct.predict(features[500:520])
    )


@pytest.mark.filterwarnings("ignore:Skipping features without any observed values")
def test_predictions_are_memoised_per_fit_and_equal_direct_ones(proteins):
    table, features = proteins
    predictor = TablePredictor(table, features, regressor="bayesian_ridge", refit_growth=0.5)
    hashes = table.hashes
    predictor.fit(hashes[:100], table.evaluate(hashes[:100]))
    direct = _direct_bayesian_ridge(features[:100], table.valid[:100])
    every = predictor.predict(hashes)  # the whole space, as predictor_global asks
    np.testing.assert_allclose(every, direct.predict(features))
    assert predictor.predicted_rows_ == 2021
    some = predictor.predict(hashes[500:520] + hashes[3:4])  # read from the memo
    assert some == every[500:520] + every[3:4] and predictor.predicted_rows_ == 2021
    predictor.fit(hashes[:150], table.evaluate(hashes[:150]))  # a refit forgets the memo
    direct.fit(features[:150], table.valid[:150])
    np.testing.assert_allclose(predictor.predict(hashes[7:9]), direct.predict(features[7:9]))
    assert predictor.predicted_rows_ == 2023


def test_the_table_space_lists_every_architecture_once(proteins):
    table, _ = proteins
    listed = TableSpace(table).candidates()
    assert listed == table.frame["hash"].to_list() and len(set(listed)) == 2021


@pytest.mark.parametrize(
    "strategy",
    [
        "random",
        "regularized_evolution",
        "genetic",
        "regularized_evolution_predictor",
        "genetic_predictor",
        "predictor_guided",
        "predictor_global",
    ],
)
def test_runs_see_validation_only_and_report_test_of_the_best(proteins, strategy):
    table, features = proteins
    history = run_strategy(strategy, table, seed=1, budget=120, features=features,
                           regressor="bayesian_ridge")  # fmt: skip
    assert history.queries == 120
    for e in history.measured():
        assert e.score == table.valid[table.row[e.candidate]]
    predicted = [e for e in history.evaluations if not e.measured]
    assert bool(predicted) == strategy.endswith("_predictor")
    assert (history.scored_only > 0) == strategy.startswith("predictor_")
    assert len({e.candidate for e in history.measured()}) == 120  # none looked up twice
    (outcome,) = queries_to_reach(strategy, table, top_fraction=0.01, seeds=[1], budget=120,
                                  features=features, regressor="bayesian_ridge")  # fmt: skip
    best = max(history.measured(), key=lambda e: e.score)
    # the stored curve: the running maximum of the measured scores, at each query it rose
    running = np.maximum.accumulate([e.score for e in history.measured()][: outcome.queries])
    rises = [0, *np.flatnonzero(np.diff(running) > 0) + 1]
    assert outcome.curve == tuple((int(i) + 1, float(running[i])) for i in rises)
    if outcome.queries_to_target is None:
        assert outcome.best_valid == best.score
        assert outcome.best_test == table.test[table.row[best.candidate]]
    else:
        assert outcome.best_valid >= table.threshold(0.01)
        assert outcome.queries_to_target <= outcome.queries < outcome.queries_to_target + 30


@pytest.mark.parametrize("strategy", ["regularized_evolution", "predictor_guided",
                                      "predictor_global"])  # fmt: skip
def test_a_looser_target_read_from_a_run_to_the_strict_one_matches_its_own_run(proteins, strategy):
    # the benchmark runs each seed once, to the strictest target, and reads the looser ones off
    table, features = proteins
    options = dict(features=features, regressor="bayesian_ridge", budget=400)
    strict = run_strategy(strategy, table, seed=3, until=table.threshold(0.002), **options)
    (loose,) = queries_to_reach(strategy, table, top_fraction=0.02, seeds=[3], **options)
    read_off = outcome_of(strategy, table, 3, strict, table.threshold(0.02))
    assert loose.queries_to_target is not None
    assert read_off.queries_to_target == loose.queries_to_target  # a run is a seeded prefix
    assert read_off.queries == strict.queries >= loose.queries


def test_unknown_strategy_is_refused(proteins):
    with pytest.raises(ValueError, match="'strategy' parameter.*genetic"):
        run_strategy("annealing", proteins[0], seed=0, budget=10)
