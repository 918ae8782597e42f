"""The built-in random-graph generators: networkx's models behind the paper's priors.

Each is a :func:`~ingest.generators.register_generator` entry with its parameters, their
defaults as rules of ``n`` and their valid ranges (:class:`~ingest.generators.ParamSpec`);
:mod:`ingest.generators` imports this module, so they are registered whenever the registry is
used. ``ba`` and ``ws`` are the paper's (section 4.3); the others widen the structural range.

>>> from ingest.generators import list_generators
>>> {"ba", "ws", "er"} <= set(list_generators())
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import networkx as nx

from ingest.generators import ParamSpec, register_generator

__all__: list[str] = []  # everything here is reached through the registry


def _in(low: int, high: int | None) -> Callable[[Any, int], bool]:
    """``check`` for ``low <= value < (high if given else n)``."""
    return lambda v, n: low <= v < (n if high is None else high)


def _size_param(name: str, default: Callable[[int], int], default_text: str, doc: str) -> ParamSpec:
    """An integer parameter with ``2 <= value < n`` (ring lattice neighbours)."""
    return ParamSpec(
        name, int, default, default_text, f"an integer with 2 <= {name} < n", _in(2, None), doc
    )


def _prob_param(name: str, default: float, doc: str) -> ParamSpec:
    return ParamSpec(
        name,
        float,
        lambda n: default,
        repr(default),
        "a probability in [0, 1]",
        lambda v, n: 0.0 <= v <= 1.0,
        doc,
    )


@register_generator(
    "ba",
    summary="Barabási–Albert preferential attachment (networkx barabasi_albert_graph).",
    params=[
        ParamSpec(
            "m",
            int,
            lambda n: max(1, n // 10),
            "max(1, n // 10)",
            "an integer with 1 <= m < n",
            _in(1, None),
            "edges from each new vertex to existing ones (paper: n // 10)",
        )
    ],
)
def _barabasi_albert(n: int, seed: int, *, m: int) -> nx.Graph:
    return nx.barabasi_albert_graph(n, m, seed=seed)


# The ring lattice's neighbour count, shared by the two Watts–Strogatz generators.
_LATTICE_K = _size_param(
    "k",
    lambda n: max(2, n // 5),
    "max(2, n // 5)",
    "ring lattice neighbours (k // 2 on each side)",
)


@register_generator(
    "ws",
    summary="Connected Watts–Strogatz small world (networkx connected_watts_strogatz_graph).",
    params=[
        _LATTICE_K,
        _prob_param("p", 1.0, "rewiring probability of each edge"),
        ParamSpec(
            "tries",
            int,
            lambda n: 100,
            "100",
            "a positive integer",
            lambda v, n: v >= 1,
            "draws before giving up on a connected graph",
        ),
    ],
)
def _watts_strogatz(n: int, seed: int, *, k: int, p: float, tries: int) -> nx.Graph:
    return nx.connected_watts_strogatz_graph(n, k, p, tries=tries, seed=seed)


@register_generator(
    "er",
    summary="Erdős–Rényi G(n, p): every edge independently (networkx gnp_random_graph).",
    params=[_prob_param("p", 0.2, "probability of each edge")],
)
def _erdos_renyi(n: int, seed: int, *, p: float) -> nx.Graph:
    return nx.gnp_random_graph(n, p, seed=seed)


@register_generator(
    "nws",
    summary="Newman–Watts–Strogatz: ring lattice plus random shortcuts, never disconnected.",
    params=[
        _LATTICE_K,
        _prob_param("p", 0.1, "probability of a shortcut per lattice edge"),
    ],
)
def _newman_watts_strogatz(n: int, seed: int, *, k: int, p: float) -> nx.Graph:
    return nx.newman_watts_strogatz_graph(n, k, p, seed=seed)


@register_generator(
    "regular",
    summary="Random d-regular graph (networkx random_regular_graph).",
    params=[
        ParamSpec(
            "d",
            int,
            lambda n: min(4, n - 1),
            "min(4, n - 1)",
            "an integer with 0 <= d < n and n * d even",
            lambda v, n: 0 <= v < n and (n * v) % 2 == 0,
            "degree of every vertex",
        )
    ],
)
def _random_regular(n: int, seed: int, *, d: int) -> nx.Graph:
    return nx.random_regular_graph(d, n, seed=seed)


@register_generator("complete", summary="Complete graph: every pair joined (deterministic).")
def _complete(n: int, seed: int) -> nx.Graph:
    return nx.complete_graph(n)
