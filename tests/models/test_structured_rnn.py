"""Tests for models.structured_rnn against a slow step-by-step reference and torch's RNNs."""

from __future__ import annotations

import dataclasses

import igraph as ig
import networkx as nx
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from models.dag import CyclicGraphError, EmptyGraphError, layered_dag
from models.masking import MaskError
from models.recurrent_cells import list_cells
from models.structured_rnn import StructuredRNN

CELLS = list_cells()


def reference_features(model: StructuredRNN, x: torch.Tensor, lengths: torch.Tensor):
    """Step by step: every time step, every DAG layer in order, gate equations written out.

    Uses the model's masked weights as plain matrices: the input of layer L at time t is the
    embedding and the states of all neurons already computed at time t (earlier layers).
    """
    gates, n, e = model.gates, model.num_neurons, model.input_size
    w_ih, w_hh = model.masked("weight_ih"), model.masked("weight_hh")
    b_ih = model.bias_ih if model.bias else torch.zeros(gates * n, dtype=x.dtype)
    b_hh = model.bias_hh if model.bias else torch.zeros(gates * n, dtype=x.dtype)
    batch, time, _ = x.shape
    h = x.new_zeros(batch, n)
    c = x.new_zeros(batch, n)
    history = []
    for t in range(time):
        h_t = x.new_zeros(batch, n)
        c_t = x.new_zeros(batch, n)
        for layer in range(model.depth):
            rows = torch.nonzero(model.neuron_layer == layer).flatten()
            gi = torch.cat([x[:, t], h_t], 1) @ w_ih.t() + b_ih  # only earlier layers are set
            gh = h @ w_hh.t() + b_hh

            def gate(pre, g, rows=rows):
                return pre[:, g * n + rows]

            if model.cell in ("tanh", "relu"):
                act = torch.tanh if model.cell == "tanh" else torch.relu
                new_h = act(gate(gi, 0) + gate(gh, 0))
            elif model.cell == "gru":
                r = torch.sigmoid(gate(gi, 0) + gate(gh, 0))
                z = torch.sigmoid(gate(gi, 1) + gate(gh, 1))
                candidate = torch.tanh(gate(gi, 2) + r * gate(gh, 2))
                new_h = (1 - z) * candidate + z * h[:, rows]
            else:  # lstm
                i = torch.sigmoid(gate(gi, 0) + gate(gh, 0))
                f = torch.sigmoid(gate(gi, 1) + gate(gh, 1))
                g = torch.tanh(gate(gi, 2) + gate(gh, 2))
                o = torch.sigmoid(gate(gi, 3) + gate(gh, 3))
                new_c = f * c[:, rows] + i * g
                new_h = o * torch.tanh(new_c)
                c_t = c_t.index_copy(1, rows, new_c)
            h_t = h_t.index_copy(1, rows, new_h)
            assert e == x.shape[2]
        h, c = h_t, c_t
        history.append(h)
    states = torch.stack(history, 1)  # (batch, time, N)
    return states[torch.arange(batch), lengths - 1][:, model.sink_neurons]


SKIP_GRAPH = nx.DiGraph([(0, 2), (1, 2), (2, 3), (2, 4), (0, 3), (1, 5), (4, 5), (3, 6)])


def make_batch(seed: int, batch: int = 3, time: int = 5, features: int = 3):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, time, features, generator=gen, dtype=torch.double)
    lengths = torch.randint(1, time + 1, (batch,), generator=gen)
    lengths[0] = time
    return x, lengths


def randomize(model: StructuredRNN, seed: int) -> StructuredRNN:
    """Random parameters (also biases), masks re-applied."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.rand(p.shape, generator=gen, dtype=p.dtype) - 0.5)
    model.apply_masks()
    return model


@pytest.mark.parametrize("units", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_matches_step_by_step_reference_with_skip_edges(cell, units):
    model = randomize(StructuredRNN(SKIP_GRAPH, cell, 3, units_per_vertex=units).double(), 1)
    x, lengths = make_batch(2)
    got = model(x, lengths)
    want = reference_features(model, x, lengths)
    assert got.shape == (3, len(model.layered.sinks) * units)
    assert torch.allclose(got, want, atol=1e-12)
    # gradients agree too (the sweep's backward is hand-written)
    weights = torch.randn_like(got)
    params = list(model.parameters())
    grads = torch.autograd.grad((got * weights).sum(), params)
    want_grads = torch.autograd.grad((want * weights).sum(), params)
    for g, w in zip(grads, want_grads, strict=True):
        assert torch.allclose(g, w, atol=1e-12)


@st.composite
def random_dags(draw):
    n = draw(st.integers(1, 6))
    pairs = [(u, v) for u in range(n) for v in range(u + 1, n)]
    edges = draw(st.lists(st.sampled_from(pairs), unique=True) if pairs else st.just([]))
    graph = nx.DiGraph(edges)
    graph.add_nodes_from(range(n))
    return graph


@settings(max_examples=25, deadline=None)
@given(graph=random_dags(), cell=st.sampled_from(CELLS), seed=st.integers(0, 1000))
def test_random_graphs_match_reference(graph, cell, seed):
    model = randomize(StructuredRNN(graph, cell, 2).double(), seed)
    x, lengths = make_batch(seed, batch=2, time=4, features=2)
    assert torch.allclose(model(x, lengths), reference_features(model, x, lengths), atol=1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_path_graph_equals_torch_stacked_rnn(cell):
    """A path of 3 vertices with 2 units each is a 3-layer torch RNN of hidden size 2."""
    torch.manual_seed(3)
    model = StructuredRNN(nx.path_graph(3), cell, 4, units_per_vertex=2).double()
    if cell in ("tanh", "relu"):
        reference = nn.RNN(4, 2, 3, nonlinearity=cell, batch_first=True)
    else:
        reference = getattr(nn, cell.upper())(4, 2, 3, batch_first=True)
    reference = reference.double()
    n, gates = model.num_neurons, model.gates
    with torch.no_grad():
        for k in range(3):
            rows = torch.cat([g * n + torch.arange(2 * k, 2 * k + 2) for g in range(gates)])
            cols = torch.arange(4) if k == 0 else 4 + torch.arange(2 * k - 2, 2 * k)
            model.weight_ih[rows[:, None], cols] = getattr(reference, f"weight_ih_l{k}")
            own = torch.arange(2 * k, 2 * k + 2)
            model.weight_hh[rows[:, None], own] = getattr(reference, f"weight_hh_l{k}")
            model.bias_ih[rows] = getattr(reference, f"bias_ih_l{k}")
            model.bias_hh[rows] = getattr(reference, f"bias_hh_l{k}")
    x, lengths = make_batch(4, batch=4, time=6, features=4)
    output, _ = reference(x)
    assert torch.allclose(model(x, lengths), output[torch.arange(4), lengths - 1], atol=1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_padding_garbage_does_not_change_outputs(cell):
    model = StructuredRNN(SKIP_GRAPH, cell, 3)
    x, lengths = make_batch(5, batch=4, time=5)
    x = x.float()
    garbage = 1e3 * torch.randn(4, 8, 3)
    garbage[:, :5] = torch.where(torch.arange(5)[None, :, None] < lengths[:, None, None], x, -7)
    assert torch.allclose(model(x, lengths), model(garbage, lengths), atol=1e-6)


@pytest.mark.parametrize("cell", CELLS)
def test_masked_weights_stay_zero_through_adam_training(cell):
    torch.manual_seed(6)
    model = StructuredRNN(nx.barabasi_albert_graph(8, 2, seed=1), cell, 3, units_per_vertex=2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    x, lengths = make_batch(7, batch=4, time=5)
    x = x.float()
    for _ in range(5):
        optimizer.zero_grad()
        model(x, lengths).pow(2).sum().backward()
        optimizer.step()
    for name in ("weight_ih", "weight_hh"):
        weight, mask = getattr(model, name), model.get_mask(name)
        assert torch.all(weight[~mask] == 0)
        assert torch.count_nonzero(weight.grad[~mask]) == 0
        assert torch.count_nonzero(weight[mask]) == int(mask.sum())


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_every_gate_block_carries_the_vertex_mask(cell):
    model = StructuredRNN(SKIP_GRAPH, cell, 3)
    n = model.num_neurons
    for name in ("weight_ih", "weight_hh"):
        mask = model.get_mask(name)
        for g in range(1, model.gates):
            assert torch.equal(mask[g * n : (g + 1) * n], mask[:n])


def test_masks_follow_the_graph():
    model = StructuredRNN(SKIP_GRAPH, "tanh", 3, units_per_vertex=2)
    layered = layered_dag(SKIP_GRAPH)
    index = {v: k for k, v in enumerate(layered.vertices)}
    ih = model.get_mask("weight_ih")
    for u in SKIP_GRAPH:
        for v in SKIP_GRAPH:
            block = ih[2 * index[v] : 2 * index[v] + 2, 3 + 2 * index[u] : 3 + 2 * index[u] + 2]
            assert bool(block.all()) == SKIP_GRAPH.has_edge(u, v)
            assert bool(block.any()) == SKIP_GRAPH.has_edge(u, v)
        rows = slice(2 * index[u], 2 * index[u] + 2)
        assert bool(ih[rows, :3].all()) == (u in layered.sources)
        assert bool(ih[rows, :3].any()) == (u in layered.sources)
    same_layer = model.neuron_layer[:, None] == model.neuron_layer[None, :]
    assert torch.equal(model.get_mask("weight_hh"), same_layer)


def test_pruned_mask_is_enforced_and_matches_reference():
    model = randomize(StructuredRNN(SKIP_GRAPH, "gru", 3).double(), 8)
    x, lengths = make_batch(9)
    before = model(x, lengths)
    keep = torch.rand(model.weight_ih.shape, generator=torch.Generator().manual_seed(0)) > 0.4
    model.combine_mask("weight_ih", keep)
    model.combine_mask("weight_hh", torch.eye(model.num_neurons).bool().repeat(3, 1))
    after = model(x, lengths)
    assert not torch.allclose(before, after)
    assert torch.allclose(after, reference_features(model, x, lengths), atol=1e-12)


def test_set_mask_rejects_connections_that_break_layer_order():
    model = StructuredRNN(SKIP_GRAPH, "tanh", 3)
    n = model.num_neurons
    backwards = model.get_mask("weight_ih").clone()
    backwards[0, 3 + n - 1] = True  # last neuron (deepest layer) -> first neuron
    with pytest.raises(MaskError, match="break the layer order"):
        model.set_mask("weight_ih", backwards)
    across = model.get_mask("weight_hh").clone()
    across[n - 1, 0] = True
    with pytest.raises(MaskError, match="break the layer order"):
        model.set_mask("weight_hh", across)
    deep_input = model.get_mask("weight_ih").clone()
    deep_input[n - 1, 0] = True
    with pytest.raises(MaskError):
        model.set_mask("weight_ih", deep_input)
    with pytest.raises(MaskError, match="shape"):
        model.set_mask("weight_hh", torch.ones(2, 2, dtype=torch.bool))


def test_validation_errors():
    with pytest.raises(EmptyGraphError):
        StructuredRNN(nx.Graph(), "tanh", 3)
    with pytest.raises(CyclicGraphError):
        StructuredRNN(nx.DiGraph([(0, 1), (1, 2), (2, 0)]), "tanh", 3)
    with pytest.raises(ValueError, match=r"'cell' parameter of StructuredRNN.*\['gru', 'lstm'"):
        StructuredRNN(nx.path_graph(3), "elman", 3)
    with pytest.raises(ValueError, match="'input_size'.*Got 0"):
        StructuredRNN(nx.path_graph(3), "tanh", 0)
    with pytest.raises(ValueError, match="'units_per_vertex'.*Got -1"):
        StructuredRNN(nx.path_graph(3), "tanh", 3, units_per_vertex=-1)
    with pytest.raises(ValueError, match="orientation"):
        StructuredRNN(nx.path_graph(3), "tanh", 3, orientation="random")
    model = StructuredRNN(nx.path_graph(3), "tanh", 3)
    with pytest.raises(ValueError, match=r"StructuredRNN.forward.*\(batch, time, 3\)"):
        model(torch.zeros(2, 4, 2))
    with pytest.raises(ValueError, match="'lengths'"):
        model(torch.zeros(2, 4, 3), torch.tensor([0, 4]))


def test_accepts_igraph_and_edge_lists_and_orientation():
    from_igraph = StructuredRNN(ig.Graph.Ring(5), "gru", 2)
    from_networkx = StructuredRNN(nx.cycle_graph(5), "gru", 2)
    assert torch.equal(from_igraph.get_mask("weight_ih"), from_networkx.get_mask("weight_ih"))
    edges = StructuredRNN([("a", "b"), ("b", "c"), ("a", "c")], "tanh", 2)
    assert edges.depth == 3 and edges.layered.sinks == ["c"]
    flipped = StructuredRNN(nx.path_graph(3), "tanh", 2, orientation="larger_to_smaller")
    assert flipped.layered.sources == [2]


@pytest.mark.parametrize("units", [1, 3])
def test_neuron_graph_reproduces_the_dag(units):
    model = StructuredRNN(SKIP_GRAPH, "lstm", 3, units_per_vertex=units)
    graph = model.neuron_graph()
    layered = model.layered
    assert graph.graph["architecture"] == "structured_rnn"
    assert graph.number_of_nodes() == 3 + units * SKIP_GRAPH.number_of_nodes()
    hidden = [v for v, d in graph.nodes(data=True) if d["role"] == "hidden"]
    for v in hidden:
        data = graph.nodes[v]
        assert data["layer"] == layered.layer_of[data["vertex"]] + 1
        assert isinstance(data["bias"], float)
    # collapse neurons to vertices: feed-forward edges give back the DAG exactly
    to_vertex = {v: graph.nodes[v]["vertex"] for v in hidden}
    forward = {
        (to_vertex[u], to_vertex[v])
        for u, v, d in graph.edges(data=True)
        if u in to_vertex and not d.get("recurrent")
    }
    assert forward == set(SKIP_GRAPH.edges)
    fed = {to_vertex[v] for u, v in graph.edges if graph.nodes[u]["role"] == "input"}
    assert fed == set(layered.sources)
    for u, v, d in graph.edges(data=True):
        if d.get("recurrent"):
            assert graph.nodes[u]["layer"] == graph.nodes[v]["layer"]
    assert [to_vertex[v] for v in model.feature_neurons()] == [
        s for s in layered.sinks for _ in range(units)
    ]


def test_neuron_graph_drops_pruned_connections():
    model = StructuredRNN(nx.path_graph(3), "tanh", 2)
    before = model.neuron_graph().number_of_edges()
    mask = model.get_mask("weight_ih").clone()
    mask[2, 2 + 1] = False  # vertex 1 -> vertex 2
    model.set_mask("weight_ih", mask)
    graph = model.neuron_graph()
    assert graph.number_of_edges() == before - 1
    assert not graph.has_edge(3, 4)


def test_bias_free_model_and_float64():
    model = StructuredRNN(SKIP_GRAPH, "gru", 3, bias=False).double()
    x, lengths = make_batch(10)
    assert model.bias_ih is None
    assert torch.allclose(model(x, lengths), reference_features(model, x, lengths), atol=1e-12)


def test_state_dict_round_trip_rebuilds_the_plan_and_copies_drop_it():
    import copy

    source = randomize(StructuredRNN(SKIP_GRAPH, "lstm", 3).double(), 11)
    keep = torch.rand(source.weight_ih.shape, generator=torch.Generator().manual_seed(1)) > 0.3
    source.combine_mask("weight_ih", keep)
    x, lengths = make_batch(12)
    expected = source(x, lengths)
    target = StructuredRNN(SKIP_GRAPH, "lstm", 3).double()
    target(x, lengths)  # builds a plan for the dense masks
    target.load_state_dict(source.state_dict())
    assert torch.allclose(target(x, lengths), expected, atol=1e-12)
    clone = copy.deepcopy(source)
    assert clone._plan is None
    assert torch.allclose(clone(x, lengths), expected, atol=1e-12)


BA40 = nx.barabasi_albert_graph(40, 2, seed=7)
PARAMETER_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
PLAN_MODES = {
    "sparse": {"sparse": True},  # CSR products: what paper-preset networks of n >= 30 take
    "dense_gather": {"sparse": False, "window": False},
    "dense_window": {"sparse": False, "window": True},
}


@pytest.mark.parametrize("cell", CELLS)
def test_every_product_mode_matches_the_reference_on_ba40(cell):
    model = randomize(StructuredRNN(BA40, cell, 3).double(), 5)
    chosen = model._current_plan()
    if cell in ("lstm", "gru"):  # the plan the model picks by itself at this size
        assert chosen.sparse
    x, lengths = make_batch(21, batch=3, time=5)
    params = list(model.parameters())
    want = reference_features(model, x, lengths)
    weights = torch.randn_like(want)
    want_grads = torch.autograd.grad((want * weights).sum(), params)
    for mode, fields in PLAN_MODES.items():
        model._plan = dataclasses.replace(chosen, **fields)
        got = model(x, lengths)
        torch.testing.assert_close(got, want, rtol=0, atol=1e-12, msg=mode)
        grads = torch.autograd.grad((got * weights).sum(), params)
        for name, g, w in zip(PARAMETER_NAMES, grads, want_grads, strict=True):
            torch.testing.assert_close(g, w, rtol=0, atol=1e-11, msg=f"{mode}: {name}")


def _plan_tensors(plan):
    return {
        f.name: getattr(plan, f.name)
        for f in dataclasses.fields(plan)
        if isinstance(getattr(plan, f.name), torch.Tensor)
    }


@pytest.mark.parametrize("cell", CELLS)
def test_plan_follows_the_module_to_another_device_and_runs_there(cell):
    model = StructuredRNN(SKIP_GRAPH, cell, 3)
    assert not model._current_plan().sparse  # small and dense: runs on any device
    model.to("meta")
    devices = {name: t.device.type for name, t in _plan_tensors(model._plan).items()}
    assert set(devices.values()) == {"meta"}, devices
    out = model(torch.randn(2, 5, 3, device="meta"), torch.tensor([5, 3]))
    out.sum().backward()  # every tensor of forward and backward on meta, none on the CPU
    assert out.device.type == "meta" and model.weight_ih.grad.device.type == "meta"


def test_csr_path_on_a_device_without_csr_kernels_is_refused_up_front():
    model = StructuredRNN(BA40, "lstm", 3)
    assert model._current_plan().sparse
    model.to("meta")
    with pytest.raises(ValueError, match=r"sparse CSR product path.*cpu and cuda.*device meta"):
        model(torch.randn(2, 5, 3, device="meta"))
    with pytest.raises(ValueError, match="input is on cpu but the module on meta"):
        model(torch.randn(2, 5, 3))
