"""Tests for models.sparse_inference: outputs equal the masked dense network's."""

import pytest
import torch
from torch import nn

from models.feedforward import MaskedFeedForward
from models.masked_linear import MaskedLinear
from models.sparse_inference import (
    compare_inference,
    list_strategies,
    memory_bytes,
    to_sparse_inference,
)


def _sparse_net(density=0.1, activation="relu", layer_norm=False, seed=0):
    torch.manual_seed(seed)
    model = MaskedFeedForward(30, [40, 20], 5, activation=activation, layer_norm=layer_norm)
    model.set_masks([torch.rand(layer.weight.shape) < density for layer in model.layers])
    return model.eval()


@pytest.mark.parametrize("strategy", list_strategies())
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("layer_norm", [False, True])
def test_outputs_equal_the_masked_dense_network(strategy, activation, layer_norm):
    model = _sparse_net(activation=activation, layer_norm=layer_norm)
    sparse = to_sparse_inference(model, strategy=strategy, batch_size=4)
    x = torch.randn(7, 30)
    torch.testing.assert_close(sparse(x), model(x), atol=1e-5, rtol=1e-5)
    assert len(sparse.choices) == 3
    if strategy != "auto":
        assert {c.kind for c in sparse.choices} == {strategy}


def test_dead_and_constant_neurons_are_removed_exactly():
    torch.manual_seed(0)
    model = MaskedFeedForward(6, [8, 5], 3, activation="sigmoid")
    first = torch.ones(8, 6, dtype=torch.bool)
    first[[0, 1]] = False  # neurons 0, 1 of layer 1: no input -> constant sigmoid(b)
    second = torch.ones(5, 8, dtype=torch.bool)
    second[:, 2] = False  # neuron 2 of layer 1: no output -> dead
    third = torch.ones(3, 5, dtype=torch.bool)
    third[:, 4] = False  # neuron 4 of layer 2: dead
    model.set_masks([first, second, third])
    sparse = to_sparse_inference(model, strategy="dense")
    assert [c.removed_neurons for c in sparse.choices] == [3, 1, 0]
    assert [(c.out_features, c.in_features) for c in sparse.choices] == [(5, 6), (4, 5), (3, 4)]
    x = torch.randn(4, 6)
    torch.testing.assert_close(sparse(x), model(x))
    kept = to_sparse_inference(model, strategy="dense", remove_dead_neurons=False)
    assert [c.removed_neurons for c in kept.choices] == [0, 0, 0]


def test_a_layer_whose_neurons_all_die_keeps_one():
    model = MaskedFeedForward(4, [3], 2)
    model.set_masks([torch.ones(3, 4), torch.zeros(2, 3)])
    sparse = to_sparse_inference(model, strategy="csr")
    assert sparse.choices[0].out_features == 1
    x = torch.randn(2, 4)
    torch.testing.assert_close(sparse(x), model(x))


def test_sequential_models_and_single_layers():
    torch.manual_seed(0)
    sequential = nn.Sequential(
        nn.Flatten(),
        MaskedLinear(12, 6, mask=torch.rand(6, 12) > 0.5),
        nn.Tanh(),
        nn.Dropout(0.5),
        nn.Linear(6, 2),
    ).eval()
    x = torch.randn(3, 3, 4)
    torch.testing.assert_close(to_sparse_inference(sequential)(x), sequential(x))
    layer = MaskedLinear(5, 4, mask=torch.rand(4, 5) > 0.5)
    y = torch.randn(2, 5)
    torch.testing.assert_close(to_sparse_inference(layer, strategy="csr")(y), layer(y))


def test_unsupported_modules_and_arguments():
    with pytest.raises(TypeError, match="Conv2d"):
        to_sparse_inference(nn.Sequential(nn.Conv2d(1, 1, 1)))
    with pytest.raises(TypeError, match="linear layer before"):
        to_sparse_inference(nn.Sequential(nn.ReLU(), nn.Linear(2, 2)))
    with pytest.raises(ValueError, match="strategy"):
        to_sparse_inference(_sparse_net(), strategy="coo")
    with pytest.raises(ValueError, match="batch_size"):
        to_sparse_inference(_sparse_net(), batch_size=0)


def test_compare_inference_reports_memory_and_equal_outputs():
    model = _sparse_net(density=0.05)
    sparse = to_sparse_inference(model, strategy="csr")
    report = compare_inference(model, sparse, torch.randn(4, 30), repeats=3)
    assert report.max_abs_diff < 1e-5
    assert report.dense_bytes == memory_bytes(model)
    # dense: 4-byte weights + 1-byte masks for every entry; CSR: only the non-zeros
    weights = sum(layer.weight.numel() for layer in model.layers)
    biases = sum(layer.bias.numel() for layer in model.layers)
    assert report.dense_bytes == 5 * weights + 4 * biases
    assert report.sparse_bytes < report.dense_bytes and report.memory_ratio > 1
    assert report.dense_ms > 0 and report.sparse_ms > 0 and report.batch_size == 4


def _snapshot(model):
    """Every state value (cloned) and every submodule's training flag."""
    state = {k: v.clone() for k, v in model.state_dict().items()}
    return state, {name: m.training for name, m in model.named_modules()}


def _assert_unchanged(model, snapshot):
    state, modes = snapshot
    now = model.state_dict()
    assert now.keys() == state.keys()
    for key, value in state.items():
        assert torch.equal(now[key], value), key
    assert {name: m.training for name, m in model.named_modules()} == modes


def _training_models():
    torch.manual_seed(3)
    feedforward = _sparse_net(layer_norm=True).train()
    with torch.no_grad():
        for norm in feedforward.norms:
            norm.weight.uniform_(0.5, 2)
            norm.bias.uniform_(-1, 1)
    norm = nn.BatchNorm1d(6)
    with torch.no_grad():
        norm.running_mean.uniform_(-1, 1)
        norm.running_var.uniform_(0.5, 2)
        norm.weight.uniform_(0.5, 2)
    sequential = nn.Sequential(
        MaskedLinear(12, 6, mask=torch.rand(6, 12) > 0.4),
        norm,
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(6, 2),
    ).train()
    return [(feedforward, torch.randn(5, 30)), (sequential, torch.randn(5, 12))]


@pytest.mark.parametrize("index", [0, 1], ids=["feedforward_layer_norm", "sequential_batch_norm"])
@pytest.mark.parametrize("strategy", ["csr", "dense"])
def test_conversion_leaves_a_training_model_untouched_and_computes_its_eval_outputs(
    index, strategy
):
    model, x = _training_models()[index]
    before = _snapshot(model)
    sparse = to_sparse_inference(model, strategy=strategy)
    _assert_unchanged(model, before)
    assert all(m.training for m in model.modules())
    # the inference network owns its norms: nothing of the source is inside it
    source_tensors = {t.data_ptr() for t in model.state_dict().values()}
    own = sparse.state_dict().values()
    assert not source_tensors & {t.data_ptr() for t in own if t.layout == torch.strided}
    expected = model.eval()(x)
    torch.testing.assert_close(sparse(x), expected, atol=1e-5, rtol=1e-5)
    model.train()
    report = compare_inference(model, sparse, x, repeats=1, warmup=0)
    assert report.max_abs_diff < 1e-5
    _assert_unchanged(model, before)  # compare_inference restores the training mode too
