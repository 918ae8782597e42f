"""Graph features of network structures, computed in bulk with igraph.

The paper's feature set (column order :data:`FEATURE_NAMES`), with networkx's definitions as
the reference — every value equals the plain networkx computation to 1e-9:

* ``nodes``, ``edges``; ``density = E / (N (N-1))`` — the paper's definition, which is
  networkx's *directed* density (half of ``nx.density`` on an undirected graph);
* ``diameter``, ``average_shortest_path_length``;
* mean, sample variance (``ddof=1``) and standard deviation (``_mean``, ``_var``, ``_std``) of
  ``eccentricity``, ``degree_centrality``, ``closeness_centrality``, ``node_betweenness``
  (normalized) and ``edge_betweenness`` (normalized, one value per edge);
* from the graph's DAG orientation and layer indexing (:mod:`models.dag`: ``layer(v) =
  max(layer(u) for u -> v, default -1) + 1``): ``layers`` (number of layers),
  ``source_nodes`` and ``sink_nodes`` (vertices without incoming / outgoing arcs) and
  ``last_layer_size`` (vertices in the last layer). The paper's published ``sink_nodes``
  column is in fact the last layer's size; true sinks can also sit in earlier layers, so both
  are reported.

Which graph each feature reads
------------------------------
All features but the DAG ones are computed on the **simple undirected graph**: edge
directions are ignored, self-loops and parallel edges are dropped (``nodes``/``edges`` count
that graph too). The DAG features read the **simple directed graph**: a directed input keeps its
own directions; an undirected edge ``{u, v}`` is oriented by the keyword-only ``orientation``
rule, by default ``"smaller_to_larger"`` (from the smaller to the larger vertex id, in
:func:`models.dag.vertex_sort_key` order — networkx's generators list edges that way), or any
rule of :func:`models.dag.list_orientations`. Self-loops and repeated arcs are dropped there as
well, so a self-loop never makes a graph cyclic here (unlike in :func:`models.dag.to_dag`,
which builds networks and must refuse it).

Inputs that need care
---------------------
* **Empty graph** (no vertex): ``nodes = edges = 0``, every other feature NaN.
* **One vertex**: networkx's values — diameter, average path length, eccentricity 0, degree
  centrality 1, closeness and betweenness 0, one layer of one source that is also a sink —
  except ``density`` (``0 / 0``: NaN) and every ``_var``/``_std`` (a sample variance of one
  value is undefined: NaN). Likewise any graph with exactly one edge has NaN
  ``edge_betweenness_var``/``_std``, and a graph without edges NaN ``edge_betweenness_*``.
* **Disconnected graph**: ``diameter``, ``average_shortest_path_length`` and
  ``eccentricity_*`` are NaN — some distances are infinite and networkx raises for all three.
  Closeness follows networkx's per-component (Wasserman–Faust) scaling, ``(r-1)/Σd ·
  (r-1)/(n-1)`` with ``r`` the vertex's component size (0 for an isolated vertex); betweenness
  is normalized by the whole graph's ``n``, as networkx does.
* **Directed graph**: undirected features on its undirected version, DAG features from its own
  directions. If those have a directed cycle there are no layers: ``layers`` and
  ``last_layer_size`` are NaN, while ``source_nodes``/``sink_nodes`` are still counted.
* **Self-loops, parallel edges, multigraphs**: dropped / collapsed, as above.
* **Not a graph**: ``TypeError`` naming the type given (a malformed edge list: ``ValueError``,
  see :class:`models.dag.GraphStructureError`).

Performance
-----------
Each graph is relabelled once to integer arrays; igraph builds graphs from them directly. One
distance matrix (``igraph.Graph.distances``, block by block into numpy) gives eccentricity,
diameter, average path length and closeness; one edge-betweenness pass gives both betweenness
features. Everything after that is computed for many graphs at once (a batch of flat arrays,
see :mod:`analytics.features.batch`). :func:`bulk_features` spreads batches over a process
pool (``n_jobs``) and splits a big graph by source vertex across the workers.

Example
-------
>>> import networkx as nx
>>> from analytics.features import FEATURE_NAMES, graph_features
>>> features = graph_features(nx.star_graph(3))  # hub 0 -> leaves 1, 2, 3
>>> features["nodes"], features["diameter"], features["layers"], features["sink_nodes"]
(4.0, 2.0, 2.0, 3.0)
>>> list(features) == list(FEATURE_NAMES)
True
"""

from analytics.features.extract import bulk_features, graph_features
from analytics.features.groups import FEATURE_NAMES
from analytics.features.registry import get_feature_group, list_feature_groups

# Registers the labelled group "nas_gnn_ops" beside analytics.features.nas's own groups.
from analytics.features import nas_interactions  # noqa: E402, F401  isort: skip

__all__ = [
    "FEATURE_NAMES",
    "bulk_features",
    "get_feature_group",
    "graph_features",
    "list_feature_groups",
]
