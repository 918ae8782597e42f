"""Benchmark: sparsescope's bulk graph features against plain networkx, in the same run.

Usage::

    /work/venv/bin/python benchmarks/bench_features.py [--quick]

1. 800 random graphs like the paper's — 400 Barabási–Albert (n in [10, 50], m = max(1, n//10))
   and 400 connected Watts–Strogatz (n in [10, 50], k = n//5, p = 1) — end to end: networkx
   graphs in, feature table out. Target: >= 30x networkx.
2. One Barabási–Albert graph, n = 2000, m = 3. Target: >= 40x networkx.

The networkx side is the plain reference of the tests (tests/analytics/nx_reference.py), timed
once; sparsescope (``bulk_features``, both cores) is timed several times and judged by its
median; a target also needs every value equal to networkx's (1e-9). ``--quick`` shrinks both
parts (200 graphs, n = 500) for a fast indicative run: too little work to amortise the process
pool, so its ratios are lower and its verdicts only indicative.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests/

from analytics.features import FEATURE_NAMES, bulk_features  # noqa: E402
from tests.analytics.nx_reference import nx_features  # noqa: E402


def paper_graphs(count: int, seed: int = 0) -> dict[str, nx.Graph]:
    """``count`` graphs: half Barabási–Albert, half connected Watts–Strogatz, as in the paper."""
    rng = random.Random(seed)
    graphs: dict[str, nx.Graph] = {}
    for i in range(count // 2):
        n = rng.randint(10, 50)
        graphs[f"ba_{i}"] = nx.barabasi_albert_graph(n, max(1, n // 10), seed=rng.randrange(2**32))
    for i in range(count - count // 2):
        n = rng.randint(10, 50)
        graphs[f"ws_{i}"] = nx.connected_watts_strogatz_graph(
            n, n // 5, 1.0, seed=rng.randrange(2**32)
        )
    return graphs


def networkx_table(graphs: dict[str, nx.Graph]) -> pl.DataFrame:
    """The same feature table, one plain networkx computation per graph."""
    return pl.DataFrame([{"key": key, **nx_features(graph)} for key, graph in graphs.items()])


def timed(run: Callable[[], pl.DataFrame], repeats: int) -> tuple[list[float], pl.DataFrame]:
    times, table = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        table = run()
        times.append(time.perf_counter() - start)
    return times, table


def disagreements(a: pl.DataFrame, b: pl.DataFrame) -> tuple[int, float]:
    """How many values differ beyond 1e-9 (relative; 1e-15 absolute; NaN must meet NaN), and
    the largest relative difference among values above 1e-9 in size."""
    bad, worst = 0, 0.0
    for name in FEATURE_NAMES:
        for x, y in zip(a[name].to_list(), b[name].to_list(), strict=True):
            if math.isnan(x) or math.isnan(y):
                bad += not (math.isnan(x) and math.isnan(y))
                continue
            bad += not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-15)
            if max(abs(x), abs(y)) > 1e-9:
                worst = max(worst, abs(x - y) / max(abs(x), abs(y)))
    return bad, worst


def compare(label: str, graphs: dict[str, nx.Graph], target: float, repeats: int) -> bool:
    """Time both sides on ``graphs``, print one block of the table, return whether met."""
    nx_times, expected = timed(lambda: networkx_table(graphs), 1)
    serial_times, _ = timed(lambda: bulk_features(graphs, n_jobs=1), repeats)
    times, table = timed(lambda: bulk_features(graphs, n_jobs=2), repeats)
    reference = nx_times[0]
    ratio = reference / statistics.median(times)
    bad, worst = disagreements(table, expected)
    met = ratio >= target and bad == 0
    print(f"\n{label}")
    print(f"  {'':34s} {'median s':>10s} {'best s':>10s} {'x networkx':>11s}")
    print(f"  {'networkx (plain reference)':34s} {reference:10.3f} {reference:10.3f} {1:11.1f}")
    for name, runs in [("sparsescope, n_jobs=1", serial_times), ("sparsescope, n_jobs=2", times)]:
        median, best = statistics.median(runs), min(runs)
        print(f"  {name:34s} {median:10.3f} {best:10.3f} {reference / median:11.1f}")
    print(f"  values differing from networkx beyond 1e-9: {bad} (largest relative {worst:.1e})")
    verdict = "MET" if met else "NOT MET"
    print(f"  target >= {target:.0f}x (median, n_jobs=2): {verdict} ({ratio:.1f}x)")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller, faster indicative run")
    quick = parser.parse_args().quick
    count, n_big, repeats = (200, 500, 3) if quick else (800, 2000, 5)
    print(f"sparsescope bulk_features vs networkx{' (--quick)' if quick else ''}")
    met = compare(
        f"(1) {count} paper-like graphs (BA + connected WS, n in [10, 50])",
        paper_graphs(count),
        target=30,
        repeats=repeats,
    )
    met &= compare(
        f"(2) one Barabasi-Albert graph, n={n_big}, m=3",
        {"ba": nx.barabasi_albert_graph(n_big, 3, seed=1)},
        target=40,
        repeats=3,
    )
    print(f"\nall targets {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
