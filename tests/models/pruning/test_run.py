"""Pruning runs: re-training never un-prunes, rewinding, records and pruned-at steps."""

from itertools import pairwise

import pytest
import torch
import torch.nn.functional as F

from models.feedforward import MaskedFeedForward
from models.pruning import (
    PruningContext,
    PruningError,
    PruningRun,
    create_pruning_scheme,
    parameter_snapshot,
    prune_iteratively,
)


def _problem():
    torch.manual_seed(0)
    x = torch.randn(64, 6)
    y = (x[:, 0] + x[:, 1] > 0).long()
    return MaskedFeedForward(6, [8], 2), x, y


def _trainer(x, y, epochs=5):
    """SGD with momentum and weight decay: optimisers that would revive zeros if unmasked."""

    def retrain(model, step):
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
        for _ in range(epochs):
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()

    return retrain


def _accuracy(x, y):
    def evaluate(model):
        with torch.no_grad():
            return float((model(x).argmax(1) == y).float().mean())

    return evaluate


def test_weights_pruned_at_a_step_stay_zero_and_masked_through_retraining():
    net, x, y = _problem()
    run = PruningRun(
        net,
        "magnitude_class_blinded",
        create_pruning_scheme("percentage", amount=0.3),
        retrain=_trainer(x, y),
        evaluate=_accuracy(x, y),
        max_steps=4,
    )
    records = list(run)
    assert [r.step for r in records] == [0, 1, 2, 3, 4]
    assert records[0].accuracy_before == records[0].accuracy_after
    for earlier, later in pairwise(records):
        for name, mask in earlier.masks.items():
            assert not bool((later.masks[name] & ~mask).any())
    for layer, name in zip(net.layers, ["layers.0.weight", "layers.1.weight"], strict=True):
        pruned_at = run.pruned_at[name]
        assert bool((layer.weight[pruned_at > 0] == 0).all())
        assert torch.equal(pruned_at < 0, layer.get_mask())
        for record in records:  # a weight pruned at step k is masked in every record from k on
            assert not bool(record.masks[name][(pruned_at > 0) & (pruned_at <= record.step)].any())
    assert all(r.accuracy_after is not None for r in records[1:])
    removed = [r.removed for r in records]
    assert removed == [0, 19, 14, 9, 7]  # 30 % of 64, 45, 31, 22 remaining (halves up)


def test_retrain_that_changes_masks_is_an_error():
    net, x, y = _problem()

    def reviving(model, step):
        model.layers[0].set_mask("weight", torch.ones(8, 6))

    run = prune_iteratively(
        net, "random", create_pruning_scheme("one_shot", amount=0.5), retrain=reviving
    )
    next(run)
    with pytest.raises(
        PruningError, match=r"retrain callable changed the mask of 'layers.0.weight'"
    ):
        next(run)


def test_rewinding_resets_survivors_to_the_snapshot():
    net, x, y = _problem()
    initial = parameter_snapshot(net)
    _trainer(x, y, epochs=20)(net, 0)  # train, then prune with rewinding to initialisation
    seen = []

    def check(model, step):
        for name, value in initial.items():
            parameter = dict(model.named_parameters())[name]
            mask = model.get_submodule(name.rsplit(".", 1)[0]).weight_mask
            expected = value * mask if name.endswith("weight") else value
            seen.append(torch.equal(parameter.detach(), expected))

    scheme = create_pruning_scheme("fixed_size", amount=0.25)
    list(
        PruningRun(
            net, "magnitude_class_blinded", scheme, retrain=check, rewind_to=initial, max_steps=2
        )
    )
    assert seen and all(seen)


def test_rewind_snapshot_must_fit_the_model():
    net, *_ = _problem()
    scheme = create_pruning_scheme("one_shot", amount=0.5)
    with pytest.raises(PruningError, match="names parameters the model does not have"):
        PruningRun(net, "random", scheme, rewind_to={"nope": torch.zeros(1)})
    with pytest.raises(PruningError, match="holds 'layers.0.bias' with shape"):
        PruningRun(net, "random", scheme, rewind_to={"layers.0.bias": torch.zeros(3)})


def test_bucket_with_obd_scores_the_state_once_per_step(monkeypatch):
    net, x, y = _problem()
    from models.pruning.methods.obd import OptimalBrainDamage

    calls = []
    original = OptimalBrainDamage.saliency
    monkeypatch.setattr(OptimalBrainDamage, "saliency", lambda *a: calls.append(1) or original(*a))
    run = PruningRun(
        net,
        "obd",
        create_pruning_scheme("bucket", size=1e-3),
        context=PruningContext(data=[(x, y)]),
        max_steps=2,
    )
    records = list(run)
    assert len(records) == 3 and len(calls) == 2


def test_run_validation():
    net, *_ = _problem()
    with pytest.raises(PruningError, match="The 'scheme' parameter of PruningRun must be a"):
        PruningRun(net, "random", "percentage")
    scheme = create_pruning_scheme("percentage", amount=0.5)
    with pytest.raises(PruningError, match="The 'target_sparsity' parameter of PruningRun"):
        PruningRun(net, "random", scheme, target_sparsity=1.2)
    with pytest.raises(PruningError, match="The 'max_steps' parameter of PruningRun"):
        PruningRun(net, "random", scheme, max_steps=0)
    with pytest.raises(PruningError, match="'obd' pruning method needs training data"):
        PruningRun(net, "obd", scheme)


def test_neuron_runs_count_neurons_and_report_weight_sparsity():
    torch.manual_seed(0)
    net = MaskedFeedForward(6, [8, 4], 2)  # 12 hidden neurons, 48 + 32 + 8 = 88 weights
    scheme = create_pruning_scheme("fixed_size", amount=0.25)  # 3 neurons per step
    records = list(
        PruningRun(net, "magnitude_class_blinded", scheme, granularity="neuron", max_steps=2)
    )
    assert [r.removed for r in records] == [0, 3, 3]
    assert [r.pruned_fraction for r in records] == [0.0, 0.25, 0.5]
    dead = [
        int((~net.layers[0].get_mask().any(1)).sum()),
        int((~net.layers[1].get_mask().any(1)).sum()),
    ]
    assert sum(dead) == 6
    alive_first, alive_second = 8 - dead[0], 4 - dead[1]
    weights = 6 * alive_first + alive_first * alive_second + alive_second * 2
    assert records[-1].sparsity == pytest.approx(1 - weights / 88)
