"""The recurrent pruning pipeline end to end on a tiny demo: base model, sweep, graphs, rows."""

import numpy as np
import pytest
import torch

from ingest.rnn_pruning import (
    build_model,
    connection_frame,
    load_base_model,
    load_rnn_data,
    prune_sweep,
    save_base_model,
    surviving_graph,
    train_base_model,
)
from ingest.rnn_pruning_config import make_rnn_pruning_config
from models.pruning import PruningError

PERCENTS = (0, 20, 50, 80, 100)


@pytest.fixture(scope="module")
def demo():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: intra-op threads only contend on a shared machine
    try:
        yield _demo()
    finally:
        torch.set_num_threads(threads)


def _demo():
    config = make_rnn_pruning_config("demo", sequences=400, hidden_sizes=(8, 8, 8), base_epochs=2)
    data = load_rnn_data(config, seed=0)
    base = train_base_model("gru", 0, data, config)
    sweep = prune_sweep(
        base.state, "gru", "both", PERCENTS, data, config, retrain_epochs=(0, 1), with_graphs=True
    )
    return config, data, base, sweep


def _record(sweep, percent, epochs):
    (record,) = [
        r for r in sweep.records if r.percent == percent and r.retrain_epochs == epochs
    ]  # fmt: skip
    return record


def test_the_demo_base_model_learns_and_is_reproducible(demo):
    config, data, base, _ = demo
    assert len(base.history) == 2
    assert base.test_accuracy > data.majority_rate + 0.1  # random negatives are learnable
    again = train_base_model("gru", 0, data, config)
    assert again.history == base.history


def test_p_0_is_the_base_model_and_p_100_without_retraining_is_at_chance(demo):
    _, data, base, sweep = demo
    assert _record(sweep, 0, 0).accuracy_before == base.test_accuracy
    assert _record(sweep, 0, 0).sparsity == 0.0
    full = _record(sweep, 100, 0)
    assert full.sparsity == 1.0 and full.surviving == 0
    assert abs(full.accuracy_before - data.majority_rate) <= 0.1


def test_one_record_per_percent_and_budget_with_accuracies_chained_per_percent(demo):
    _, _, _, sweep = demo
    assert [(r.percent, r.retrain_epochs) for r in sweep.records] == [
        (p, e) for p in PERCENTS for e in (0, 1)
    ]
    for record in sweep.records:
        if record.retrain_epochs == 0:
            assert record.accuracy_after == record.accuracy_before
        assert record.accuracy_before == _record(sweep, record.percent, 0).accuracy_before


def test_masks_are_nested_in_p_and_match_numpy_percentiles_of_the_base_weights(demo):
    config, _, base, sweep = demo
    sparsities = [_record(sweep, p, 0).sparsity for p in PERCENTS]
    assert sparsities == sorted(sparsities)
    for step, percent in enumerate(PERCENTS, start=1):
        for layer in range(3):
            prefix = f"body.layers.{layer}"
            weights = [base.state[f"{prefix}.weight_ih"], base.state[f"{prefix}.weight_hh"]]
            values = np.abs(np.concatenate([w.numpy().reshape(-1) for w in weights]))
            threshold = np.percentile(values, percent)
            for matrix, weight in zip(("weight_ih", "weight_hh"), weights, strict=True):
                at = sweep.pruned_at[f"{prefix}.{matrix}"].numpy()
                pruned_by_now = (at >= 1) & (at <= step)
                expected = (
                    np.ones_like(pruned_by_now)
                    if percent == 100
                    else np.abs(weight.numpy()) < threshold
                )
                np.testing.assert_array_equal(pruned_by_now, expected)


def test_graphs_keep_their_edges_through_retraining_and_mark_recurrent_ones(demo):
    _, _, _, sweep = demo
    dense = _record(sweep, 0, 0).graph
    recurrent = [(u, v) for u, v, d in dense.edges(data=True) if d.get("recurrent")]
    assert len(recurrent) == 3 * 8 * 8  # every unit pair of every layer's h2h, self-loops too
    for percent in PERCENTS:
        before = _record(sweep, percent, 0).graph
        after = _record(sweep, percent, 1).graph
        assert set(before.edges) == set(after.edges)  # re-training keeps the masks
    empty = _record(sweep, 100, 0).graph
    assert not any(d.get("recurrent") for *_, d in empty.edges(data=True))
    readout = {v for v, d in empty.nodes(data=True) if d["role"] == "output"}
    assert all(v in readout for _, v in empty.edges)  # only the (unpruned) readout is left


def test_connection_frame_lists_every_weight_once_with_its_step(demo):
    config, _, base, sweep = demo
    model = build_model("gru", config)
    model.load_state_dict(base.state)
    frame = connection_frame(model, sweep.pruned_at)
    # 3 layers x 3 gates x 8 units x (8 inputs + 8 units)
    assert frame.height == 3 * 3 * 8 * 16
    assert sorted(frame["gate"].unique().to_list()) == ["n", "r", "z"]
    assert frame.filter(frame["pruned_at_step"] == -1).height == 0  # p = 100 prunes all
    steps = frame["pruned_at_step"]
    for step, percent in enumerate(PERCENTS, start=1):
        pruned_by_now = int(((steps >= 1) & (steps <= step)).sum())
        assert frame.height - pruned_by_now == _record(sweep, percent, 0).surviving
    row = frame.filter(
        (frame["layer"] == 1) & (frame["matrix"] == "h2h") & (frame["gate"] == "z")
        & (frame["unit"] == 2) & (frame["source"] == 5)
    )  # fmt: skip
    expected = float(base.state["body.layers.1.weight_hh"][8 + 2, 5])  # z block: rows 8..15
    assert row["weight"].item() == pytest.approx(expected)


def test_a_saved_base_model_loads_back_to_the_same_function(demo, tmp_path):
    config, data, base, _ = demo
    path = save_base_model(base, tmp_path / "gru-0.pt", config)
    loaded = load_base_model(path, config)
    assert loaded.cell == "gru" and loaded.history == base.history
    tokens, lengths, _ = data.test
    with torch.no_grad():
        torch.testing.assert_close(
            loaded.model(tokens[:16], lengths[:16]), base.model.eval()(tokens[:16], lengths[:16])
        )
    other = make_rnn_pruning_config("demo", hidden_sizes=(4, 4, 4))
    with pytest.raises(ValueError, match="hidden sizes \\(8, 8, 8\\)"):
        load_base_model(path, other)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"percents": (20, 150)}, "'percents' parameter .* must be a number in \\[0, 100\\]"),
        ({"percents": (50, 20)}, "strictly increasing"),
        ({"target": "gates"}, "'targets' parameter .* valid targets"),
        ({"retrain_epochs": (-1,)}, "'retrain_epochs'"),
    ],
)
def test_bad_sweep_arguments_are_refused_clearly(demo, kwargs, message):
    config, data, base, _ = demo
    arguments = {"target": "both", "percents": (10,), **kwargs}
    with pytest.raises((ValueError, PruningError), match=message):
        prune_sweep(base.state, "gru", data=data, config=config, **arguments)


def test_surviving_graph_is_the_models_neuron_graph(demo):
    config, _, base, _ = demo
    model = build_model("gru", config)
    model.load_state_dict(base.state)
    graph = surviving_graph(model)
    assert graph.graph["architecture"] == "recurrent" and graph.graph["cell"] == "gru"


def test_h2h_at_100_percent_leaves_no_recurrent_edge_but_every_i2h_one(demo):
    config, data, base, _ = demo
    sweep = prune_sweep(
        base.state, "gru", "h2h", (100,), data, config, retrain_epochs=(0,), with_graphs=True
    )
    (record,) = sweep.records
    assert record.sparsity == 1.0 and record.surviving == 0
    edges = list(record.graph.edges(data=True))
    assert not any(d.get("recurrent") for *_, d in edges)
    hidden = [v for v, d in record.graph.nodes(data=True) if d["role"] == "hidden"]
    # every hidden unit still has all its inputs: embedding (8) or the layer below (8)
    assert all(record.graph.in_degree(v) == 8 for v in hidden)


def test_base_training_stops_at_the_training_accuracy_target(demo):
    config, data, _, _ = demo
    seen = []
    eager = make_rnn_pruning_config(
        "demo", sequences=400, hidden_sizes=(8, 8, 8), base_epochs=5, base_train_accuracy=0.01
    )
    base = train_base_model("gru", 0, data, eager, on_epoch=seen.append)
    assert len(base.history) == 1 and seen == base.history
