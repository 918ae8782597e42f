"""Import graphs made elsewhere: GraphML, GML, edge lists, node-link JSON, trusted pickles.

One file is one network. Readers are a registry keyed by format name, chosen by file suffix
(:func:`list_graph_formats`). Graphs are stored simple: parallel edges are merged and self-loops
removed, and the import report says how many. An empty graph, or a file that does not parse as
the format its suffix claims, is an error naming the file — and since an import is one
transaction, nothing of it is stored then.

networkx pickles can run arbitrary code when loaded, so they are read only with
``trust_pickle=True`` (``--trust-pickle`` on the command line).
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from warehouse.records import NetworkRecord, StudyRecord
from warehouse.store import IngestReport, store_records

__all__ = [
    "GraphFileError",
    "GraphImport",
    "import_graph_files",
    "list_graph_formats",
    "read_graph_file",
]


class GraphFileError(ValueError):
    """A file could not be read as a graph; the message names the file and the reason."""


Reader = Callable[[Path, bool], nx.Graph]
_READERS: dict[str, Reader] = {}
_SUFFIXES: dict[str, str] = {}


def _register(name: str, suffixes: Sequence[str]) -> Callable[[Reader], Reader]:
    """Register ``reader(path, directed) -> nx.Graph`` as the format ``name`` for ``suffixes``.

    Raises
    ------
    ValueError
        If the format name or one of the suffixes is already registered.
    """
    if name in _READERS:
        raise ValueError(f"A graph file format named {name!r} is already registered.")
    taken = sorted(s for s in suffixes if s in _SUFFIXES)
    if taken:
        raise ValueError(
            f"Graph file suffixes {taken} of {name!r} already belong to "
            f"{sorted({_SUFFIXES[s] for s in taken})}."
        )

    def decorator(reader: Reader) -> Reader:
        _READERS[name] = reader
        for suffix in suffixes:
            _SUFFIXES[suffix] = name
        return reader

    return decorator


@_register("graphml", [".graphml"])
def _read_graphml(path: Path, directed: bool) -> nx.Graph:
    return nx.read_graphml(path, node_type=_int_if_possible)


@_register("gml", [".gml"])
def _read_gml(path: Path, directed: bool) -> nx.Graph:
    return nx.read_gml(path, label="id")


@_register("edgelist", [".edgelist", ".edges", ".txt", ".tsv"])
def _read_edgelist(path: Path, directed: bool) -> nx.Graph:
    graph = nx.read_edgelist(
        path, create_using=nx.MultiDiGraph if directed else nx.MultiGraph, data=False, nodetype=str
    )
    return nx.relabel_nodes(graph, {v: _int_if_possible(v) for v in graph})


@_register("node-link", [".json"])
def _read_node_link(path: Path, directed: bool) -> nx.Graph:
    data = json.loads(path.read_text(encoding="utf-8"))
    links = "edges" if "edges" in data else "links"
    return nx.node_link_graph(data, edges=links)


@_register("pickle", [".gpickle", ".pickle", ".pkl"])
def _read_pickle(path: Path, directed: bool) -> nx.Graph:
    with path.open("rb") as handle:
        graph = pickle.load(handle)  # noqa: S301 - only behind trust_pickle
    if not isinstance(graph, nx.Graph):
        raise GraphFileError(f"{path} holds a {type(graph).__name__}, not a networkx graph.")
    return graph


def list_graph_formats() -> dict[str, list[str]]:
    """Format name → file suffixes it is chosen for."""
    formats: dict[str, list[str]] = {name: [] for name in _READERS}
    for suffix, name in _SUFFIXES.items():
        formats[name].append(suffix)
    return formats


@dataclass(frozen=True)
class GraphImport:
    """One read graph and what was cleaned up on the way."""

    path: Path
    format: str
    graph: nx.Graph
    self_loops_removed: int
    duplicate_edges_merged: int


def read_graph_file(
    path: str | os.PathLike, *, trust_pickle: bool = False, directed: bool = False
) -> GraphImport:
    """Read one graph file, choosing the reader by suffix, and simplify the graph.

    Parameters
    ----------
    directed:
        For edge lists only (the other formats say it themselves): read edges as directed.

    Raises
    ------
    GraphFileError
        Unknown suffix, unreadable or empty graph, or a pickle without ``trust_pickle``.
    """
    path = Path(path)
    if not path.is_file():
        raise GraphFileError(f"{path}: no such file.")
    name = _SUFFIXES.get(path.suffix.lower())
    if name is None:
        raise GraphFileError(
            f"{path}: unknown graph format {path.suffix!r}; known suffixes: {sorted(_SUFFIXES)}."
        )
    if name == "pickle" and not trust_pickle:
        raise GraphFileError(
            f"{path}: pickles can run arbitrary code when loaded; pass --trust-pickle "
            "(trust_pickle=True) only for files you made yourself."
        )
    try:
        raw = _READERS[name](path, directed)
    except GraphFileError:
        raise
    except Exception as exc:  # the readers raise many kinds of parse errors
        raise GraphFileError(f"{path}: not a readable {name} graph ({exc}).") from exc
    if raw.number_of_nodes() == 0:
        raise GraphFileError(f"{path}: the graph is empty (no vertices).")
    loops = nx.number_of_selfloops(raw)
    edges_before = raw.number_of_edges()
    simple: nx.Graph = nx.DiGraph(raw) if raw.is_directed() else nx.Graph(raw)
    merged = edges_before - simple.number_of_edges()
    simple.remove_edges_from(list(nx.selfloop_edges(simple)))
    return GraphImport(path, name, simple, loops, merged)


def import_graph_files(
    db: str | os.PathLike | None,
    paths: Iterable[str | os.PathLike],
    *,
    study: str = "imported-graphs",
    trust_pickle: bool = False,
    directed: bool = False,
    replace: bool = False,
) -> tuple[IngestReport, list[GraphImport]]:
    """Read every file, then store them all in one transaction (all or nothing).

    The network's name is the file name; a file that fails stops the import before anything
    is written.
    """
    imports = [read_graph_file(p, trust_pickle=trust_pickle, directed=directed) for p in paths]
    if not imports:
        raise GraphFileError("No graph files given.")
    names = [item.path.name for item in imports]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise GraphFileError(f"Several files share the name(s) {duplicates}; rename them.")
    records = [
        NetworkRecord(
            name=item.path.name,
            graph=item.graph,
            family="graph",
            attributes={
                "format": item.format,
                "self_loops_removed": item.self_loops_removed,
                "duplicate_edges_merged": item.duplicate_edges_merged,
            },
        )
        for item in imports
    ]
    report = store_records(
        db, StudyRecord(id=study, kind="import-graphs"), records, replace=replace
    )
    return report, imports


def _int_if_possible(value: str):
    text = str(value)
    return int(text) if text.lstrip("-").isdigit() else text
