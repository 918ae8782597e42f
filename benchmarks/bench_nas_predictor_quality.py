"""Benchmark: how well structural features predict NAS-Bench-Graph's validation ranking.

For each data set and training size N (100, 300, 1000, 3000 by default), N architectures are
drawn with the seed, a registry regressor (:func:`analytics.regressors.create_regressor`) is
fitted on their structural features (:func:`ingest.nas_bench_search.structural_features`)
against ``valid_perf``, and every other architecture is scored. Reported, mean ± 95% CI over the
seeds: Kendall τ and Spearman ρ (``scipy.stats`` called directly) and precision@10% — the
fraction of the predicted top 10% that is in the true top 10% of the held-out architectures.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_nas_predictor_quality.py
        [--datasets cora citeseer] [--sizes 100 300 1000 3000] [--seeds 5] [--regressor xgboost]
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import stats

from analytics.regressors import create_regressor
from ingest.nas_bench_search import BenchTable, structural_features


def precision_at(truth: np.ndarray, predicted: np.ndarray, fraction: float) -> float:
    """Share of the predicted top ``fraction`` that is in the true top ``fraction``."""
    k = max(1, int(round(fraction * truth.size)))
    top_true = set(np.argsort(-truth)[:k].tolist())
    top_pred = np.argsort(-predicted)[:k]
    return float(np.mean([i in top_true for i in top_pred.tolist()]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["cora"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[100, 300, 1000, 3000])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--regressor", default="xgboost")
    args = parser.parse_args()
    print(f"regressor {args.regressor}, {args.seeds} seeds, mean ± 95% CI")
    print(f"{'dataset':10} {'N':>5} {'kendall tau':>16} {'spearman rho':>16} {'P@10%':>16}")
    for dataset in args.datasets:
        table = BenchTable.load(dataset)
        features, target = structural_features(table), table.valid
        for size in args.sizes:
            if size >= target.size:
                print(f"{dataset:10} {size:>5} skipped: the table has only {target.size} rows")
                continue
            scores = []
            for seed in range(args.seeds):
                order = np.random.default_rng(seed).permutation(target.size)
                train, test = order[:size], order[size:]
                model = create_regressor(args.regressor, seed=seed).fit(
                    features[train], target[train]
                )
                predicted = model.predict(features[test])
                scores.append((
                    stats.kendalltau(target[test], predicted).statistic,
                    stats.spearmanr(target[test], predicted).statistic,
                    precision_at(target[test], predicted, 0.1),
                ))  # fmt: skip
            scores = np.array(scores)
            half = stats.t.ppf(0.975, len(scores) - 1) * stats.sem(scores, axis=0)
            cells = " ".join(f"{m:>8.3f} ± {h:.3f}" for m, h in zip(scores.mean(0), half,
                                                                    strict=True))  # fmt: skip
            print(f"{dataset:10} {size:>5} {cells}")


if __name__ == "__main__":
    main()
