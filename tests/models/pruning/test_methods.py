"""Contract test over the whole pruning-method registry (every method, automatically)."""

import pytest
import torch

from models.feedforward import MaskedFeedForward
from models.pruning import (
    PruningContext,
    PruningError,
    create_pruning_method,
    list_pruning_methods,
    prunable_parameters,
    prune,
)

OPTIONS = {"synflow": {"iterations": 4}}


def _context(data):
    return PruningContext(data=data, seed=5)


def _pruned(net):
    return sum(int((~m).sum()) for m in net.masks())


@pytest.mark.parametrize("name", list_pruning_methods())
def test_every_method_prunes_exactly_and_never_revives(name, tiny_net, tiny_data):
    method = create_pruning_method(name, **OPTIONS.get(name, {}))
    assert method.name == name
    prune(tiny_net, method, 0.2, context=_context(tiny_data))
    first = [m.clone() for m in tiny_net.masks()]
    assert _pruned(tiny_net) == 7  # 0.2 of 35
    prune(tiny_net, method, 0.2, context=_context(tiny_data))
    assert _pruned(tiny_net) == 14
    for before, after in zip(first, tiny_net.masks(), strict=True):
        assert not bool((after & ~before).any())  # masks only shrink
    for layer in tiny_net.layers:
        assert bool((layer.weight[~layer.get_mask()] == 0).all())


@pytest.mark.parametrize("name", list_pruning_methods())
def test_every_method_is_reproducible_and_amount_zero_changes_nothing(name, tiny_data):
    masks = []
    for _ in range(2):
        torch.manual_seed(0)
        net = MaskedFeedForward(4, [5], 3)
        method = create_pruning_method(name, **OPTIONS.get(name, {}))
        prune(net, method, 0.0, context=_context(tiny_data))
        assert _pruned(net) == 0
        prune(net, method, 0.5, context=_context(tiny_data))
        masks.append(net.masks())
    for a, b in zip(*masks, strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("name", list_pruning_methods())
def test_every_method_prunes_whole_neurons(name, tiny_data):
    torch.manual_seed(0)
    net = MaskedFeedForward(4, [5, 4], 3)
    method = create_pruning_method(name, **OPTIONS.get(name, {}))
    prune(net, method, 3 / 9, granularity="neuron", context=_context(tiny_data))
    dead_rows = [int((~m.any(dim=1)).sum()) for m in net.masks()[:2]]
    assert sum(dead_rows) == 3


@pytest.mark.parametrize("name", [n for n in list_pruning_methods() if n in ("obd", "snip")])
def test_data_driven_methods_without_data_raise_clearly(name, tiny_net):
    with pytest.raises(PruningError, match=f"The '{name}' pruning method needs training data"):
        prune(tiny_net, name, 0.5)
    assert _pruned(tiny_net) == 0


def test_unknown_method_lists_the_valid_ones(tiny_net):
    with pytest.raises(ValueError, match="Unknown pruning method 'optimal'; valid names: .*'obd'"):
        prune(tiny_net, "optimal", 0.5)


def test_random_pruning_depends_on_the_seed(tiny_data):
    masks = []
    for seed in (1, 2):
        torch.manual_seed(0)
        net = MaskedFeedForward(4, [5], 3)
        prune(net, "random", 0.5, context=PruningContext(seed=seed))
        masks.append(torch.cat([m.reshape(-1) for m in net.masks()]))
    assert not torch.equal(*masks)


@pytest.mark.parametrize("name", ["snip", "obd"])
def test_data_driven_methods_move_cpu_batches_to_the_models_device(name):
    """A CPU loader serves a model on another device (``meta`` here: shapes only, no data);
    before, the first batch failed deep inside the forward with a device mismatch."""
    torch.manual_seed(0)
    model = MaskedFeedForward(4, [3], 2, activation="relu").to("meta")
    batches = [(torch.randn(6, 4), torch.tensor([0, 1, 0, 1, 1, 0]))]
    targets = prunable_parameters(model)
    scores = create_pruning_method(name).saliency(model, targets, PruningContext(data=batches))
    assert [(s.device.type, tuple(s.shape)) for s in scores] == [("meta", (3, 4)), ("meta", (2, 3))]


def test_context_batches_move_every_tensor_of_a_batch_and_keep_its_values():
    inputs, labels = (torch.arange(4.0).reshape(2, 2), torch.ones(2)), torch.tensor([1, 0])
    context = PruningContext(data=[(inputs, labels)])
    ((moved, moved_labels),) = context.batches("snip", device=torch.device("meta"))
    assert [t.device.type for t in (*moved, moved_labels)] == ["meta"] * 3
    ((same, same_labels),) = context.batches("snip", device=torch.device("cpu"))
    assert torch.equal(same[0], inputs[0]) and torch.equal(same_labels, labels)
