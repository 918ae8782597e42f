"""Benchmark: queries a search needs on NAS-Bench-Graph to reach the top architectures.

Every strategy of :mod:`ingest.nas_bench_search` runs once per seed (50 by default) on each
data set's table, seeing only ``valid_perf``, and stops when it first measures an architecture
inside the top fraction by validation (top-0.1% and top-1%). Reported per strategy: mean
queries ± 95% CI (Student t), the fraction of runs that reached the target within the budget
(a run that did not counts as the full budget — so the mean is a lower bound then), the mean
test ``perf`` of the best-by-validation architecture measured, and the speed-up against
regularized evolution (its mean queries ÷ the strategy's) — the strong baseline.

Predictor strategies train a registry regressor (``--regressor``, default xgboost) on the
structural features of the measured architectures, refitted each time the measured set grows
by 25%; half of the proposed candidates are scored by prediction only (never counted as
found). Seeds are 0 .. seeds-1, so runs are reproducible.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_nas_table_search.py [--datasets cora citeseer]
        [--seeds 50] [--budget 5000] [--regressor xgboost] [--strategies ...]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from ingest.nas_bench_search import STRATEGIES, BenchTable, queries_to_reach, structural_features


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["cora"])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--budget", type=int, default=5000)
    parser.add_argument("--regressor", default="xgboost")
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES))
    parser.add_argument("--tops", nargs="+", type=float, default=[0.001, 0.01])
    args = parser.parse_args()
    for dataset in args.datasets:
        table = BenchTable.load(dataset)
        features = structural_features(table)
        print(f"\n## {dataset}: {table.valid.size} architectures, {features.shape[1]} features")
        for top in args.tops:
            print(
                f"\ntarget: top-{top:.1%} by validation (valid_perf >= {table.threshold(top):.4f})"
            )
            print(f"{'strategy':34} {'queries (mean ± 95% CI)':>26} {'reached':>8} "
                  f"{'best test perf':>15} {'speed-up vs RE':>15} {'seconds':>8}")  # fmt: skip
            rows = {}
            for strategy in args.strategies:
                start = time.perf_counter()
                outcomes = queries_to_reach(
                    strategy, table, top_fraction=top, seeds=range(args.seeds),
                    budget=args.budget, features=features, regressor=args.regressor,
                )  # fmt: skip
                queries = np.array([o.queries_to_target or args.budget for o in outcomes], float)
                reached = np.mean([o.queries_to_target is not None for o in outcomes])
                half = stats.t.ppf(0.975, len(queries) - 1) * stats.sem(queries)
                rows[strategy] = (queries.mean(), half, reached,
                                  np.mean([o.best_test for o in outcomes]),
                                  time.perf_counter() - start)  # fmt: skip
            baseline = rows.get("regularized_evolution", (np.nan,))[0]
            for strategy, (mean, half, reached, test, seconds) in rows.items():
                print(f"{strategy:34} {mean:>16.1f} ± {half:>7.1f} {reached:>8.0%} "
                      f"{test:>15.4f} {baseline / mean:>14.2f}x {seconds:>8.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
