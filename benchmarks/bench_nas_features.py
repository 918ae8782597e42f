"""Benchmark: NAS feature extraction and the NAS-Bench-Graph import.

Times, on one run each (a shared machine: read them as orders of magnitude):

* plain graph features (:func:`analytics.features.bulk_features`) and the ``nas_cnn``
  labelled features of 2,472 random CNN genotypes (the paper's meta-dataset size);
* the ``nas_gnn`` labelled features of all 26,206 NAS-Bench-Graph architectures of cora;
* ``import_nas_bench_graph`` of cora into a fresh warehouse (read, frames, features, one
  transaction).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_nas_features.py [--genotypes 2472]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from analytics.features import bulk_features
from analytics.features.nas import labelled_features
from ingest.nas_bench_graph import import_nas_bench_graph
from ingest.nas_bench_search import BenchTable, structural_features
from models.nas.compile import feature_graph
from models.nas.genotype import random_genotype


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genotypes", type=int, default=2472)
    args = parser.parse_args()
    graphs = {i: feature_graph(random_genotype(seed=i), in_channels=3)
              for i in range(args.genotypes)}  # fmt: skip
    start = time.perf_counter()
    bulk_features(graphs, n_jobs=2)
    plain = time.perf_counter() - start
    start = time.perf_counter()
    labelled_features(graphs, group="nas_cnn")
    labelled = time.perf_counter() - start
    print(f"{args.genotypes} CNN genotypes: plain features {plain:.2f} s, nas_cnn {labelled:.2f} s")
    table = BenchTable.load("cora")
    start = time.perf_counter()
    structural_features(table)
    print(f"26,206 NAS-Bench-Graph architectures: features {time.perf_counter() - start:.2f} s")
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        import_nas_bench_graph(Path(folder) / "w.duckdb", "cora")
        print(f"import-nas-bench-graph --dataset cora: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
