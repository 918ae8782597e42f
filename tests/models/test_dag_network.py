"""Tests for models.dag_network against a slow per-vertex reference written here."""

import igraph as ig
import networkx as nx
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from models.activations import create_activation
from models.dag import (
    CyclicGraphError,
    EmptyGraphError,
    GraphStructureError,
    LayeredDAG,
    UnreachableVertexError,
    layered_dag,
)
from models.dag_network import MaskedDAGNetwork
from models.masking import MaskError
from models.state_dict import ArchitectureMismatchError


def _reference(model: MaskedDAGNetwork, x: torch.Tensor) -> torch.Tensor:
    """One vertex at a time in topological order, reading weights edge by edge.

    Uses only the documented LayerPlan layout: row ``r`` of layer ``l`` is vertex
    ``plan.vertices[r]``; its columns are the ``in_features`` inputs (if ``uses_input``), then
    hidden neurons ``source_start ..``.
    """
    sigma = create_activation(model.activation_name)
    dag = model.layered.dag
    where = {}  # vertex -> (plan, row)
    for plan in model.plan:
        for row, v in enumerate(plan.vertices):
            where[v] = (plan, row)

    def weight(plan, row, column):
        flat = plan.weight_offset + row * plan.cols + column
        return model.weight[flat] * model.weight_mask[flat]

    activation = {}
    for v in nx.topological_sort(dag):
        plan, row = where[v]
        z = model.bias[model.index_of[v]] if model.bias is not None else torch.zeros(())
        z = z + torch.zeros(x.shape[0], dtype=x.dtype)
        if v in model.input_vertices:
            for i in range(model.in_features):
                z = z + weight(plan, row, i) * x[:, i]
        for u in dag.predecessors(v):
            column = plan.in_features + model.index_of[u] - plan.source_start
            z = z + weight(plan, row, column) * activation[u]
        activation[v] = sigma(z)
    out_weight = model.output.weight * model.output.weight_mask
    outputs = []
    for j in range(model.out_features):
        y = model.output.bias[j] if model.output.bias is not None else torch.zeros(())
        for v in model.output_vertices:
            y = y + out_weight[j, model.index_of[v]] * activation[v]
        outputs.append(y + torch.zeros(x.shape[0], dtype=x.dtype))
    return torch.stack(outputs, dim=1)


def _check_against_reference(model, x):
    params = [p for p in (model.weight, model.bias, model.output.weight) if p is not None]
    got = model(x)
    expected = _reference(model, x)
    torch.testing.assert_close(got, expected)
    loss_got = (got * torch.arange(1, got.shape[1] + 1)).sum()
    loss_expected = (expected * torch.arange(1, got.shape[1] + 1)).sum()
    grads_got = torch.autograd.grad(loss_got, params)
    grads_expected = torch.autograd.grad(loss_expected, params)
    for a, b in zip(grads_got, grads_expected, strict=True):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "identity"])
def test_watts_strogatz_matches_reference(activation):
    torch.manual_seed(0)
    graph = nx.newman_watts_strogatz_graph(20, 4, 0.5, seed=1)
    model = MaskedDAGNetwork(graph, 5, 3, activation=activation)
    _check_against_reference(model, torch.randn(4, 5))


def test_explicit_inputs_outputs_and_pruning_match_reference():
    torch.manual_seed(0)
    graph = nx.gnp_random_graph(14, 0.3, seed=3, directed=False)
    dag = nx.DiGraph((min(u, v), max(u, v)) for u, v in graph.edges())
    sources = [v for v in dag if dag.in_degree(v) == 0]
    inputs = sorted(set(sources) | {v for v in dag if v % 4 == 1})  # some non-source inputs
    outputs = sorted(v for v in dag if v % 3 == 0)  # some non-sinks
    model = MaskedDAGNetwork(dag, 3, 2, inputs=inputs, outputs=outputs, bias=False)
    assert any(p.uses_input and p.source_stop > p.source_start for p in model.plan)
    model.combine_mask("weight", torch.rand(model.weight.shape) > 0.3)  # prune the DAG's edges
    _check_against_reference(model, torch.randn(5, 3))


def test_gradcheck_of_the_hand_written_backward():
    torch.manual_seed(0)
    dag = nx.DiGraph([(0, 2), (1, 2), (2, 3), (0, 3), (3, 4), (1, 4), (2, 5)])
    model = MaskedDAGNetwork(dag, 3, 2, inputs=[0, 1, 3], activation="tanh").double()
    x = torch.randn(4, 3, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, w, b: model(x), (x, model.weight, model.bias))


@given(
    st.integers(min_value=1, max_value=12).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(
                st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(
                    lambda e: e[0] < e[1]
                ),
                max_size=25,
            ),
        )
    )
)
@settings(max_examples=15, deadline=None)
def test_random_dags_match_reference(spec):
    n, edges = spec
    dag = nx.DiGraph()
    dag.add_nodes_from(range(n))
    dag.add_edges_from(edges)
    torch.manual_seed(n)
    model = MaskedDAGNetwork(dag, 2, 2).double()
    _check_against_reference(model, torch.randn(3, 2, dtype=torch.double))


def test_networkx_igraph_and_edge_list_give_the_same_network():
    graph = nx.newman_watts_strogatz_graph(15, 4, 0.3, seed=2)
    edges = [(min(u, v), max(u, v)) for u, v in graph.edges()]
    directed = ig.Graph(n=15, edges=edges, directed=True)
    torch.manual_seed(0)
    reference = MaskedDAGNetwork(graph, 4, 2)
    x = torch.randn(3, 4)
    for structure in (ig.Graph(n=15, edges=edges), directed, edges):
        model = MaskedDAGNetwork(structure, 4, 2)
        model.load_state_dict(reference.state_dict())
        assert model.vertices == reference.vertices
        torch.testing.assert_close(model(x), reference(x))


def test_one_projection_per_layer_and_one_flat_mask():
    graph = nx.newman_watts_strogatz_graph(30, 4, 0.5, seed=0)
    model = MaskedDAGNetwork(graph, 8, 3)
    layered = layered_dag(graph)
    assert len(model.plan) == len(layered.layers)
    state = model.state_dict()
    assert set(state) == {
        "weight",
        "weight_mask",
        "layout",
        "bias",
        "output.weight",
        "output.weight_mask",
        "output.bias",
    }
    # mask has exactly the DAG's edges plus dense input -> source connections
    sources = len(layered.sources)
    assert int(model.weight_mask.sum()) == layered.dag.number_of_edges() + 8 * sources
    assert int(model.output.weight_mask.sum()) == 3 * len(layered.sinks)


def test_masked_weights_stay_zero_while_training():
    torch.manual_seed(0)
    model = MaskedDAGNetwork(nx.newman_watts_strogatz_graph(20, 4, 0.5, seed=0), 6, 3)
    mask = model.weight_mask.clone() & (torch.rand(model.weight.shape) > 0.3)
    model.set_mask("weight", mask)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05, weight_decay=0.01)
    start = model.weight.detach().clone()
    x, y = torch.randn(16, 6), torch.randint(0, 3, (16,))
    for _ in range(5):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        assert (model.weight.grad[~mask] == 0).all()
        optimizer.step()
    assert (model.weight[~mask] == 0).all()
    assert not torch.equal(model.weight[mask], start[mask])


def test_layer_blocks_can_be_read_and_masked():
    model = MaskedDAGNetwork(nx.path_graph(4), 3, 1)
    plan = model.plan[2]
    assert plan.vertices == (2,) and model.layer_mask(2).shape == (1, plan.cols)
    model.set_layer_mask(2, torch.zeros(1, plan.cols))
    assert not model.layer_mask(2).any() and (model.layer_weight(2) == 0).all()
    with pytest.raises(MaskError, match="layer 1"):
        model.set_layer_mask(1, torch.ones(2, 2))
    with pytest.raises(IndexError, match="layer"):
        model.layer_weight(7)
    hidden = model.hidden_activations(torch.randn(5, 3))  # (batch, vertices 0..3)
    assert hidden.shape == (5, 4)
    # vertex 2 lost all its inputs: its activation is σ(its bias) for every sample
    constant = model.activation(model.bias[plan.start : plan.stop].detach())
    torch.testing.assert_close(hidden[:, 2], constant.expand(5))


def test_cyclic_graph_is_rejected():
    with pytest.raises(CyclicGraphError, match="cycle"):
        MaskedDAGNetwork(nx.DiGraph([(0, 1), (1, 2), (2, 0)]), 2, 1)


def test_unreachable_vertices_are_named():
    dag = nx.DiGraph([(0, 1), (2, 3)])
    with pytest.raises(UnreachableVertexError, match=r"\[2, 3\]"):
        MaskedDAGNetwork(dag, 2, 1, inputs=[0])
    layered = layered_dag(dag)
    with pytest.raises(UnreachableVertexError, match=r"\[2, 3\]"):
        MaskedDAGNetwork(layered, 2, 1, inputs=[0])


def test_bad_structures_and_arguments():
    with pytest.raises(EmptyGraphError):
        MaskedDAGNetwork(nx.DiGraph(), 2, 1)
    with pytest.raises(GraphStructureError, match="outputs"):
        MaskedDAGNetwork(nx.path_graph(3), 2, 1, outputs=[7])
    backwards = LayeredDAG(
        dag=nx.DiGraph([(0, 1)]), layer_of={0: 1, 1: 0}, layers=[[1], [0]], sources=[0], sinks=[1]
    )
    with pytest.raises(GraphStructureError, match="later layer"):
        MaskedDAGNetwork(backwards, 2, 1)
    with pytest.raises(ValueError, match="in_features"):
        MaskedDAGNetwork(nx.path_graph(3), 0, 1)
    model = MaskedDAGNetwork(nx.path_graph(3), 2, 1)
    with pytest.raises(ValueError, match="2 input features"):
        model(torch.randn(4, 3))
    with pytest.raises(TypeError, match="float64"):
        model(torch.randn(4, 2, dtype=torch.double))


def test_state_dict_of_another_structure_is_rejected():
    model = MaskedDAGNetwork(nx.path_graph(5), 3, 2)
    other = MaskedDAGNetwork(nx.star_graph(4), 3, 2)
    assert model.weight.shape == other.weight.shape  # same shapes, different DAG
    with pytest.raises(ArchitectureMismatchError, match="layout"):
        model.load_state_dict(other.state_dict())
    deeper = MaskedDAGNetwork(nx.path_graph(6), 3, 2)
    with pytest.raises(ArchitectureMismatchError, match="weight: expected shape"):
        model.load_state_dict(deeper.state_dict())
