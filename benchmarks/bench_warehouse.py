"""Warehouse benchmark: ingest 10,000 networks (graph + features + metrics), then correlate.

Targets (issue 2): ingest in under 60 s; correlation table over them in under 1 s.

    python benchmarks/bench_warehouse.py [--networks 10000] [--batch 2000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import networkx as nx

from analytics.correlation import correlation_table
from analytics.meta_dataset import load_meta_dataset
from warehouse import queries
from warehouse.records import Metric, NetworkRecord, StudyRecord
from warehouse.store import store_records

FEATURES = ("nodes", "edges", "density", "diameter", "closeness_var", "degree_var")


def make_records(count: int, seed: int) -> list[NetworkRecord]:
    """Paper-sized random graphs with 15 epochs of metrics and a few features each."""
    rng = random.Random(seed)
    records = []
    for i in range(count):
        n = rng.randint(10, 50)
        graph = nx.barabasi_albert_graph(n, max(1, n // 10), seed=i)
        metrics = [
            Metric(epoch, split, name, rng.random())
            for epoch in range(15)
            for split in ("train", "test")
            for name in ("acc", "loss")
        ]
        features = {name: rng.random() for name in FEATURES}
        records.append(
            NetworkRecord(
                name=f"net-{i}", graph=graph, cell=rng.choice(["tanh", "relu", "lstm", "gru"]),
                generator="ba", seed=i, metrics=metrics, features=features,
            )
        )  # fmt: skip
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--networks", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=2_000)
    args = parser.parse_args()
    records = make_records(args.networks, seed=0)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        study = StudyRecord(id="bench", kind="benchmark")
        start = time.perf_counter()
        for i in range(0, len(records), args.batch):
            store_records(db, study, records[i : i + args.batch])
        ingest = time.perf_counter() - start
        counts = queries.counts(db)
        start = time.perf_counter()
        again = store_records(db, study, records[: args.batch])
        reingest = time.perf_counter() - start
        start = time.perf_counter()
        meta = load_meta_dataset(db)
        table = correlation_table(meta.frame, target="test_acc", features=list(FEATURES), by="cell")
        correlate = time.perf_counter() - start
    verdict = {True: "met", False: "MISSED"}
    print(f"networks ingested          {counts['networks']:>10,}")
    print(
        f"nodes / edges / metrics    {counts['nodes']:,} / {counts['edges']:,}"
        f" / {counts['metrics']:,}"
    )
    print(f"ingest time                {ingest:>10.1f} s  (target < 60 s: {verdict[ingest < 60]})")
    print(f"re-ingest {args.batch} (no-op)     {reingest:>10.2f} s  inserted {again.inserted}")
    print(
        f"load + correlate           {correlate:>10.2f} s"
        f"  (target < 1 s: {verdict[correlate < 1]}), {table.height} rows"
    )


if __name__ == "__main__":
    main()
