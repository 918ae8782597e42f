"""Benchmark: queries a search needs on NAS-Bench-Graph to reach the top architectures.

Every strategy of :mod:`ingest.nas_bench_search` runs once per seed (50 by default) on each
data set's table, seeing only ``valid_perf``, and stops when it first measures an architecture
inside the strictest top fraction by validation (of top-0.1% and top-1%); the queries to each
looser target are read from the same run, which reached it on the way. Reported per strategy: mean
queries with its 95% percentile-bootstrap interval over the seeds (scipy.stats.bootstrap,
10,000 resamples, seeded: query counts are skewed and bounded by the budget, so no Student t),
the fraction of runs that reached the target within the budget
(a run that did not counts as the full budget — so the mean is a lower bound then), the mean
test ``perf`` of the best-by-validation architecture measured, and the speed-up against
regularized evolution (its mean queries ÷ the strategy's) — the strong baseline — with its own
percentile-bootstrap interval (both strategies' seeds resampled independently), and the CPU
seconds of the strategy's runs (the machine is shared, so not wall time).

Predictor strategies train a registry regressor (``--regressor``, default xgboost) on the
structural features of the measured architectures, refitted each time the measured set grows
by 25%; in the ``*_predictor`` variants half of the proposed candidates are scored by prediction
only (never counted as found), in ``predictor_guided`` the predictor picks the few of hundreds
of proposals that are looked up (:mod:`models.nas.guided_search`). Seeds are 0 .. seeds-1, so
runs are reproducible. ``--store DB`` also stores every run's best-found curve in that
warehouse (:mod:`ingest.nas_table_curves`), for the dashboard's Search page.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_nas_table_search.py [--datasets cora citeseer]
        [--seeds 50] [--budget 5000] [--regressor xgboost] [--strategies ...] [--store DB]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from ingest.nas_bench_search import (
    STRATEGIES,
    BenchTable,
    SearchOutcome,
    outcome_of,
    run_strategy,
    structural_features,
)
from ingest.nas_table_curves import store_table_search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["cora"])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--budget", type=int, default=5000)
    parser.add_argument("--regressor", default="xgboost")
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES))
    parser.add_argument("--tops", nargs="+", type=float, default=[0.001, 0.01])
    parser.add_argument("--bootstrap-seed", type=int, default=0)
    parser.add_argument("--store", default=None, help="warehouse to store the runs' curves in")
    args = parser.parse_args()
    for dataset in args.datasets:
        table = BenchTable.load(dataset)
        features = structural_features(table)
        print(f"\n## {dataset}: {table.valid.size} architectures, {features.shape[1]} features")
        runs = {}  # strategy -> (outcomes per top, seconds)
        for strategy in args.strategies:
            start = time.process_time()
            outcomes = _outcomes(strategy, table, args, features)
            runs[strategy] = (outcomes, time.process_time() - start)
            if args.store:
                for top, per_seed in outcomes.items():
                    store_table_search(args.store, dataset, per_seed, top_fraction=top,
                                       budget=args.budget, regressor=args.regressor)  # fmt: skip
        for top in args.tops:
            print(
                f"\ntarget: top-{top:.1%} by validation (valid_perf >= {table.threshold(top):.4f})"
            )
            print(f"{'strategy':34} {'queries mean [95% CI]':>28} {'median':>7} {'reached':>8} "
                  f"{'best test perf':>15} {'speed-up vs RE [95% CI]':>26} "
                  f"{'CPU s':>8}")  # fmt: skip
            rows = {}
            for strategy, (outcomes, seconds) in runs.items():
                per_seed = outcomes[top]
                queries = np.array([o.queries_to_target or args.budget for o in per_seed], float)
                reached = np.mean([o.queries_to_target is not None for o in per_seed])
                rows[strategy] = (queries, reached, np.mean([o.best_test for o in per_seed]),
                                  seconds)  # fmt: skip
            baseline = rows.get("regularized_evolution", (None,))[0]
            for strategy, (queries, reached, test, seconds) in rows.items():
                low, high = _interval((queries,), np.mean, args.bootstrap_seed)
                speed = "n/a"
                if baseline is not None:
                    ratio = baseline.mean() / queries.mean()
                    r_low, r_high = _interval((baseline, queries), _ratio, args.bootstrap_seed)
                    speed = f"{ratio:.2f}x [{r_low:.2f}, {r_high:.2f}]"
                print(f"{strategy:34} {queries.mean():>9.1f} [{low:>7.1f}, {high:>7.1f}] "
                      f"{np.median(queries):>7.0f} {reached:>8.0%} {test:>15.4f} {speed:>26} "
                      f"{seconds:>8.1f}")  # fmt: skip


def _outcomes(strategy, table, args, features) -> dict[float, list[SearchOutcome]]:
    """Every seed's run, once: it stops at the strictest target, and each looser target's
    queries are read from the same run (a looser target is always reached first)."""
    strictest = min(args.tops)
    outcomes = {top: [] for top in args.tops}
    for seed in range(args.seeds):
        history = run_strategy(strategy, table, seed=seed, budget=args.budget,
                               until=table.threshold(strictest), features=features,
                               regressor=args.regressor)  # fmt: skip
        for top in args.tops:
            outcomes[top].append(outcome_of(strategy, table, seed, history, table.threshold(top)))
    return outcomes


def _ratio(baseline: np.ndarray, queries: np.ndarray, axis: int = -1) -> np.ndarray:
    """Speed-up: the baseline's mean queries over the strategy's."""
    return np.mean(baseline, axis=axis) / np.mean(queries, axis=axis)


def _interval(samples: tuple[np.ndarray, ...], statistic, seed: int) -> tuple[float, float]:
    """95% percentile-bootstrap interval of ``statistic`` (NaN when every value is equal)."""
    if all(np.ptp(s) == 0 for s in samples):
        value = float(statistic(*samples))
        return value, value
    result = stats.bootstrap(samples, statistic, n_resamples=10_000, confidence_level=0.95,
                             method="percentile", paired=False, vectorized=True,
                             random_state=np.random.default_rng(seed))  # fmt: skip
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


if __name__ == "__main__":
    main()
