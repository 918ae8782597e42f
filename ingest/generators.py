"""Registry of random-graph generators: the raw structures behind structural priors.

A study of randomly structured networks (paper, section 4.3) starts from random graphs —
"100 connected Watts–Strogatz and 100 Barabási–Albert graphs with n in [10, 50]" — which
``models.dag`` then orients into layered DAGs. Every generator is a named registry entry
(timm style: a decorator fills a dict) that knows its parameters, their defaults as rules of
``n`` and their valid ranges, so bad input fails at the boundary with a message that names
the parameter, the generator and the value.

:class:`GraphSpec` pins one graph down completely (generator, ``n``, resolved parameters,
seed); :func:`sample_graph_specs` draws a reproducible population of specs from one seed.

Example
-------
>>> graph = create_graph("ba", n=20, seed=1)
>>> graph.number_of_nodes(), graph.number_of_edges()  # m = max(1, 20 // 10) = 2
(20, 36)
>>> specs = sample_graph_specs(["ba", "ws"], 2, seed=0)
>>> [spec.generator for spec in specs]
['ba', 'ba', 'ws', 'ws']
"""

from __future__ import annotations

import numbers
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

__all__ = [
    "GeneratorSpec",
    "GraphGenerationError",
    "GraphSpec",
    "ParamSpec",
    "create_graph",
    "generator_spec",
    "list_generators",
    "register_generator",
    "sample_graph_specs",
]

ParamValue = int | float


class GraphGenerationError(RuntimeError):
    """A generator was given valid parameters but could not produce a graph.

    Example: the connected Watts–Strogatz generator gives up after ``tries`` disconnected
    draws.
    """


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a generator.

    Attributes
    ----------
    name:
        Keyword accepted by :func:`create_graph`.
    kind:
        ``int`` or ``float``; values are converted to it (``bool`` is refused).
    default:
        Default value as a function of the number of vertices ``n``.
    default_text:
        The default rule as shown to users, e.g. ``"max(1, n // 10)"``.
    rule:
        Valid range in words, e.g. ``"an integer with 1 <= m < n"``.
    check:
        ``check(value, n) -> bool``: whether ``value`` is valid for a graph on ``n`` vertices.
    doc:
        What the parameter means.
    """

    name: str
    kind: type
    default: Callable[[int], ParamValue]
    default_text: str
    rule: str
    check: Callable[[Any, int], bool] = field(repr=False)
    doc: str = ""


@dataclass(frozen=True)
class GeneratorSpec:
    """Description of a registered generator: its name, what it draws and its parameters."""

    name: str
    summary: str
    params: tuple[ParamSpec, ...]

    def defaults(self, n: int) -> dict[str, ParamValue]:
        """Default parameter values for a graph on ``n`` vertices."""
        return {p.name: p.default(n) for p in self.params}


Builder = Callable[..., nx.Graph]


@dataclass(frozen=True)
class _Entry:
    spec: GeneratorSpec
    build: Builder  # build(n, seed, **params) -> nx.Graph, parameters already validated


_GENERATORS: dict[str, _Entry] = {}


def register_generator(
    name: str, *, summary: str, params: Iterable[ParamSpec] = ()
) -> Callable[[Builder], Builder]:
    """Register ``build(n, seed, **params) -> nx.Graph`` as the generator ``name``.

    The builder receives validated, converted parameters; :func:`create_graph` does the
    checking against ``params``.
    """

    def decorator(build: Builder) -> Builder:
        if name in _GENERATORS:
            raise ValueError(f"A graph generator named {name!r} is already registered.")
        _GENERATORS[name] = _Entry(GeneratorSpec(name, summary, tuple(params)), build)
        return build

    return decorator


def list_generators() -> list[str]:
    """Names of the registered graph generators, sorted."""
    return sorted(_GENERATORS)


def generator_spec(name: str) -> GeneratorSpec:
    """Describe the generator ``name``: summary, parameters, defaults and valid ranges.

    Raises
    ------
    ValueError
        If ``name`` is not registered; the message lists the valid names.
    """
    return _entry(name, "generator_spec").spec


def create_graph(name: str, *, n: int, seed: int, **params: Any) -> nx.Graph:
    """Draw a graph on the vertices ``0 .. n-1`` from the generator ``name``.

    Parameters
    ----------
    name:
        A registered generator (see :func:`list_generators`).
    n:
        Number of vertices, at least 1.
    seed:
        Non-negative integer; the same seed and parameters give the same graph.
    **params:
        Generator parameters (see :func:`generator_spec`); missing ones take their default
        for ``n``.

    Returns
    -------
    networkx.Graph
        Undirected simple graph. ``graph.graph`` records ``generator``, ``params`` (all
        values, defaults included) and ``seed``.

    Raises
    ------
    ValueError
        Unknown generator, unknown parameter, or a value outside its valid range.
    GraphGenerationError
        Valid parameters, but the generator could not produce a graph.
    """
    caller = f"create_graph({name!r})"
    entry = _entry(name, "create_graph")
    _check_n(n, caller)
    _check_seed(seed, caller)
    resolved = _resolve(entry.spec, n, params, caller)
    try:
        graph = entry.build(int(n), int(seed), **resolved)
    except nx.NetworkXException as exc:
        raise GraphGenerationError(
            f"Generator {name!r} failed for n={n}, {resolved}, seed={seed}: {exc}"
        ) from exc
    if type(graph) is not nx.Graph:
        graph = nx.Graph(graph)
    graph.graph.update(generator=name, params=dict(resolved), seed=int(seed))
    return graph


@dataclass(frozen=True)
class GraphSpec:
    """Everything needed to rebuild one random graph: generator, size, parameters, seed.

    ``params`` is completed with the generator's defaults for ``n`` and validated on
    construction, so two specs for the same graph compare equal and share one :attr:`key`.
    Treat ``params`` as read-only.

    >>> GraphSpec("ba", 23, {}, 7).key
    'ba(n=23,m=2,seed=7)'
    """

    generator: str
    n: int
    params: dict[str, ParamValue] = field(default_factory=dict, hash=False)
    seed: int = 0

    def __post_init__(self) -> None:
        caller = f"GraphSpec({self.generator!r})"
        entry = _entry(self.generator, "GraphSpec")
        _check_n(self.n, caller)
        _check_seed(self.seed, caller)
        object.__setattr__(self, "n", int(self.n))
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "params", _resolve(entry.spec, self.n, self.params, caller))

    @property
    def key(self) -> str:
        """Stable text id, e.g. ``'ws(n=31,k=6,p=1.0,tries=100,seed=42)'``."""
        values = "".join(f",{name}={value!r}" for name, value in sorted(self.params.items()))
        return f"{self.generator}(n={self.n}{values},seed={self.seed})"

    def build(self) -> nx.Graph:
        """Draw the graph (same spec, same graph)."""
        return create_graph(self.generator, n=self.n, seed=self.seed, **self.params)


def sample_graph_specs(
    generators: str | Iterable[str],
    count: int,
    *,
    seed: int,
    n_range: tuple[int, int] = (10, 50),
) -> list[GraphSpec]:
    """Draw ``count`` graph specs per generator, with ``n`` uniform in ``n_range``.

    Each spec takes its generator's default parameters for its ``n`` (e.g. ``m = max(1,
    n // 10)`` for ``"ba"``) and its own graph seed. Each generator draws from its own
    stream derived from ``seed`` and the generator's name, so the ``"ba"`` specs are the
    same whether or not ``"ws"`` is asked for too, and in whatever order.

    Parameters
    ----------
    generators:
        One name or several; specs are returned grouped in this order.
    count:
        Specs per generator, at least 1. The paper: ``sample_graph_specs(["ba", "ws"], 100,
        seed=...)``.
    seed:
        Non-negative integer.
    n_range:
        Inclusive ``(low, high)`` bounds of ``n``, ``1 <= low <= high``.

    Raises
    ------
    ValueError
        Unknown generator, ``count < 1``, a bad ``n_range``, or an ``n`` in the range for
        which a generator's default parameters are invalid (e.g. ``"ba"`` with ``n = 1``).
    """
    caller = "sample_graph_specs"
    names = [generators] if isinstance(generators, str) else list(generators)
    if not names:
        raise ValueError(f"The 'generators' parameter of {caller} must name at least one.")
    for name in names:
        _entry(name, caller)
    if not _is_int(count) or count < 1:
        raise ValueError(
            f"The 'count' parameter of {caller} must be a positive integer. Got {count!r} instead."
        )
    _check_seed(seed, caller)
    try:
        low, high = n_range
    except (TypeError, ValueError):
        low = high = None
    if not (_is_int(low) and _is_int(high) and 1 <= low <= high):
        raise ValueError(
            f"The 'n_range' parameter of {caller} must be a pair (low, high) of integers with "
            f"1 <= low <= high. Got {n_range!r} instead."
        )
    specs = []
    for name in names:
        rng = np.random.default_rng([int(seed), zlib.crc32(name.encode())])
        sizes = rng.integers(low, high, endpoint=True, size=count)
        seeds = rng.integers(0, 2**31 - 1, size=count)
        specs.extend(GraphSpec(name, int(n), {}, int(s)) for n, s in zip(sizes, seeds, strict=True))
    return specs


# ---------------------------------------------------------------------------------------------
# Private helpers


def _entry(name: Any, caller: str) -> _Entry:
    try:
        return _GENERATORS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown graph generator {name!r} in {caller}. "
            f"Valid names: {', '.join(list_generators())}."
        ) from None


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_n(n: Any, caller: str) -> None:
    if not _is_int(n) or n < 1:
        raise ValueError(
            f"The 'n' parameter of {caller} must be a positive integer. Got {n!r} instead."
        )


def _check_seed(seed: Any, caller: str) -> None:
    if not _is_int(seed) or seed < 0:
        raise ValueError(
            f"The 'seed' parameter of {caller} must be a non-negative integer. "
            f"Got {seed!r} instead."
        )


def _resolve(
    spec: GeneratorSpec, n: int, params: Mapping[str, Any], caller: str
) -> dict[str, ParamValue]:
    """Fill in defaults for ``n``, convert types and check ranges."""
    known = {p.name for p in spec.params}
    unknown = sorted(set(params) - known)
    if unknown:
        accepted = ", ".join(sorted(known)) or "none"
        raise ValueError(
            f"Unknown parameter(s) {unknown} for {caller}. Accepted parameters: {accepted}."
        )
    resolved: dict[str, ParamValue] = {}
    for p in spec.params:
        value = params.get(p.name, p.default(n))
        ok_type = _is_int(value) if p.kind is int else _is_real(value)
        if ok_type:
            value = p.kind(value)
        if not ok_type or not p.check(value, n):
            raise ValueError(
                f"The '{p.name}' parameter of {caller} must be {p.rule} (n={n}). "
                f"Got {value!r} instead."
            )
        resolved[p.name] = value
    return resolved


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


# The built-in generators register themselves in a module of their own; imported last, as they
# use register_generator and ParamSpec.
from ingest import generator_catalog as _generator_catalog  # noqa: E402, F401
