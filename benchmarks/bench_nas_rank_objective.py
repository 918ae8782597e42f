"""Benchmark (exploratory): does a ranking objective or op-path counts lift NAS-Bench-Graph τ?

The issue aims at Kendall τ >= 0.65 on every data set with 1,000 training architectures. Three
XGBoost variants are compared on the same seeded draws (scikit-learn ``train_test_split``,
``--train-size`` rows, seeds 0 .. seeds-1), each scored by ``scipy.stats.kendalltau`` on every
architecture not drawn:

- ``xgb_struct``: squared error on :func:`ingest.nas_bench_search.structural_features`;
- ``xgb_struct+oppaths``: the same plus counts of operation sequences along the DAG's paths of
  one and two edges (``u → v`` and ``u → v → w``, e.g. ``gcn → gat``), an op-aware encoding;
- ``pairwise_ranklabel+oppaths``: those features with XGBoost's ``rank:pairwise`` objective on
  the rank of ``valid_perf`` within the training draw (its relevance labels must be integers).

Not in the regressor registry (yet): it measures whether the idea is worth registering.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_nas_rank_objective.py cora pubmed
        [--seeds 3] [--train-size 1000]
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import stats
from sklearn.model_selection import train_test_split
from xgboost import XGBRegressor

from ingest.nas_bench_graph import LINK_PATTERNS, OPERATIONS, architecture_graph
from ingest.nas_bench_search import BenchTable, structural_features

BOOSTING = {"n_estimators": 400, "learning_rate": 0.05, "max_depth": 6, "subsample": 0.8,
            "colsample_bytree": 0.5}  # fmt: skip
PAIRWISE = {"objective": "rank:pairwise", "lambdarank_pair_method": "mean",
            "lambdarank_num_pair_per_sample": 8}  # fmt: skip


def op_path_counts(table: BenchTable) -> np.ndarray:
    """Per architecture: counts of op sequences along paths of one and two edges (columns that
    are zero everywhere dropped)."""
    names = ["input", *OPERATIONS, "output"]
    index = {op: i for i, op in enumerate(names)}
    k = len(names)
    arcs = [list(architecture_graph(link, ["skip"] * 4).edges) for link in LINK_PATTERNS]
    rows = table.frame.select("link", "op0", "op1", "op2", "op3").rows()
    counts = np.zeros((len(rows), k * k + k**3))
    for r, (link, *ops) in enumerate(rows):
        labels = ("input", *ops, "output")
        successors: dict[int, list[int]] = {}
        for u, v in arcs[link]:
            successors.setdefault(u, []).append(v)
            counts[r, index[labels[u]] * k + index[labels[v]]] += 1
        for u, v in arcs[link]:
            for w in successors.get(v, []):
                pair = index[labels[u]] * k + index[labels[v]]
                counts[r, k * k + pair * k + index[labels[w]]] += 1
    return counts[:, counts.any(axis=0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--train-size", type=int, default=1000)
    args = parser.parse_args()
    for dataset in args.datasets:
        table = BenchTable.load(dataset)
        plain = structural_features(table)
        both = np.hstack([plain, op_path_counts(table)])
        y = np.asarray(table.valid, dtype=float)
        variants = (("xgb_struct", plain, {}, False), ("xgb_struct+oppaths", both, {}, False),
                    ("pairwise_ranklabel+oppaths", both, PAIRWISE, True))  # fmt: skip
        for name, x, objective, rank_labels in variants:
            taus = []
            for seed in range(args.seeds):
                train, test = train_test_split(np.arange(y.size), train_size=args.train_size,
                                               random_state=seed)  # fmt: skip
                labels = stats.rankdata(y[train]).astype(int) - 1 if rank_labels else y[train]
                model = XGBRegressor(random_state=seed, n_jobs=2, **BOOSTING, **objective)
                predicted = model.fit(x[train], labels).predict(x[test])
                taus.append(stats.kendalltau(y[test], predicted).statistic)
            print(f"{dataset} {name:28} {x.shape[1]:5d} features  tau {np.mean(taus):.3f} "
                  f"(seeds: {', '.join(f'{t:.3f}' for t in taus)})", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
