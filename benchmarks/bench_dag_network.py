"""Benchmark: DAG network training step against deepstruct 0.10's MaskedDeepDAN.

Structure: ``nx.newman_watts_strogatz_graph(100, 4, 0.5, seed=0)`` oriented from smaller to
larger vertex id (100 layers deep: the ring lattice contains the path 0 -> 1 -> ... -> 99),
784 inputs, 10 outputs, batch 64, cross-entropy loss. Timed: forward + backward, and forward +
backward + SGD step. Runs are interleaved; the best round is reported (the minimum is least
disturbed by other processes on a shared machine).

deepstruct pins torch<2, so it is never installed into the project's venv. Install it aside:

    /work/venv/bin/pip install --no-deps --target /tmp/deepstruct_pkg \\
        deepstruct==0.10.0 deprecated wrapt

This script puts that folder on ``sys.path`` if it exists (``--deepstruct-path`` to change)
and skips the comparison with a message if deepstruct cannot be imported.

    /work/venv/bin/python benchmarks/bench_dag_network.py [--threads N] [--rounds R]

Target: ours >= 5x faster than deepstruct per forward + backward.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import networkx as nx
import torch
import torch.nn.functional as F
from torch import nn

from models.dag import to_dag
from models.dag_network import MaskedDAGNetwork

VERTICES, NEIGHBOURS, REWIRING = 100, 4, 0.5
INPUTS, OUTPUTS, BATCH = 784, 10, 64
TARGET = 5.0


def deepstruct_model(dag: nx.DiGraph, path: str) -> nn.Module | None:
    """MaskedDeepDAN on the same oriented DAG, or None (with a message) if unavailable."""
    if Path(path).is_dir() and path not in sys.path:
        sys.path.insert(0, path)
    try:
        from deepstruct.graph import LayeredGraph
        from deepstruct.sparse import MaskedDeepDAN
    except Exception as error:  # noqa: BLE001 - any import failure means "skip"
        print(f"deepstruct not importable ({type(error).__name__}: {error}); comparison skipped.")
        print(f"Install it with: pip install --no-deps --target {path} deepstruct==0.10.0 ...")
        return None
    # load_from renumbers vertices in node order and keeps the edges: the same DAG
    return MaskedDeepDAN(INPUTS, OUTPUTS, LayeredGraph.load_from(dag))


def steps(model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def forward_backward() -> None:
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()

    def training_step() -> None:
        forward_backward()
        optimizer.step()

    return {"forward+backward": forward_backward, "+ SGD step": training_step}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=10, help="steps per round")
    parser.add_argument("--deepstruct-path", default="/tmp/deepstruct_pkg")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    graph = nx.newman_watts_strogatz_graph(VERTICES, NEIGHBOURS, REWIRING, seed=0)
    dag = to_dag(graph)
    models = {"sparsescope MaskedDAGNetwork": MaskedDAGNetwork(dag, INPUTS, OUTPUTS)}
    theirs = deepstruct_model(dag, args.deepstruct_path)
    if theirs is not None:
        models["deepstruct MaskedDeepDAN"] = theirs
    x, y = torch.randn(BATCH, INPUTS), torch.randint(0, OUTPUTS, (BATCH,))
    runs = {(name, kind): fn for name, m in models.items() for kind, fn in steps(m, x, y).items()}
    for fn in runs.values():
        for _ in range(3):
            fn()
    best = {key: float("inf") for key in runs}
    for _ in range(args.rounds):
        for key, fn in runs.items():
            start = time.perf_counter()
            for _ in range(args.steps):
                fn()
            best[key] = min(best[key], (time.perf_counter() - start) / args.steps * 1e3)
    ours = next(iter(models))
    layers = len(models[ours].plan)
    print(
        f"Watts-Strogatz({VERTICES}, {NEIGHBOURS}, {REWIRING}) DAG: {dag.number_of_edges()} "
        f"edges, {layers} layers; {INPUTS} -> {OUTPUTS}, batch {BATCH}, threads {args.threads}"
    )
    print(f"{'model':<30}{'timed':<18}{'ms':>9}{'deepstruct / ours':>19}")
    for (name, kind), value in best.items():
        other = best.get(("deepstruct MaskedDeepDAN", kind))
        ratio = f"{other / best[(ours, kind)]:.1f}x" if other is not None and name == ours else ""
        print(f"{name:<30}{kind:<18}{value:>9.2f}{ratio:>19}")
    if theirs is not None:
        speedup = (
            best[("deepstruct MaskedDeepDAN", "forward+backward")]
            / best[(ours, "forward+backward")]
        )
        verdict = "meets" if speedup >= TARGET else "MISSES"
        print(f"forward+backward speed-up {speedup:.1f}x {verdict} the target >= {TARGET}x")


if __name__ == "__main__":
    main()
