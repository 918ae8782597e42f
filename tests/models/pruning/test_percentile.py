"""The paper's percentile rule, checked against numpy.percentile (default method: linear)."""

import doctest

import numpy as np
import pytest
import torch

import models.pruning.percentile as percentile_module
from models.masked_recurrent import MaskedRecurrent
from models.pruning import (
    PruningError,
    create_pruning_scheme,
    percentile_threshold,
    prune_by_percentile,
    prune_iteratively,
    recurrent_targets,
)


def test_doctests():
    result = doctest.testmod(percentile_module)
    assert result.attempted > 0 and result.failed == 0


def _body(cell="lstm", sizes=(5, 4), seed=0):
    torch.manual_seed(seed)
    return MaskedRecurrent(cell, 3, list(sizes))


def _flat(*tensors):
    return np.concatenate([t.detach().numpy().reshape(-1) for t in tensors]).astype(np.float64)


@pytest.mark.parametrize("percent", [0, 10, 33.3, 50, 90, 100])
def test_threshold_is_numpys_default_linear_percentile_with_zeros_included(percent):
    body = _body()
    layer = body.layers[1]
    keep = torch.rand(layer.weight_hh.shape, generator=torch.Generator().manual_seed(1)) > 0.3
    layer.set_mask("weight_hh", keep)  # about 30% zeros that must count
    weights = [layer.weight_ih, layer.weight_hh]
    expected = np.percentile(np.abs(_flat(*weights)), percent)  # numpy's default: "linear"
    assert np.percentile(np.abs(_flat(*weights)), percent, method="linear") == expected
    assert percentile_threshold(weights, percent) == pytest.approx(expected, rel=1e-12, abs=0)


def test_threshold_by_hand_between_two_neighbours():
    # 5 values, p = 30: position (5 - 1) * 0.3 = 1.2 between sorted 1 and 2 -> 1.2
    values = torch.tensor([0.0, -4.0, 2.0, 1.0, 3.0])
    assert percentile_threshold([values], 30) == pytest.approx(1.2)


@pytest.mark.parametrize("target", ["i2h", "h2h", "both"])
@pytest.mark.parametrize("percent", [10, 40, 70])
def test_each_layer_prunes_below_its_own_percentile_only_in_the_chosen_matrices(target, percent):
    body = _body()
    original = {n: p.detach().clone() for n, p in body.named_parameters()}
    thresholds = prune_by_percentile(body, percent, target=target)
    matrices = {"i2h": ["weight_ih"], "h2h": ["weight_hh"], "both": ["weight_ih", "weight_hh"]}
    for index, layer in enumerate(body.layers):
        chosen = [original[f"layers.{index}.{m}"] for m in matrices[target]]
        threshold = np.percentile(np.abs(_flat(*chosen)), percent)
        assert thresholds[f"layers.{index}"] == pytest.approx(threshold, rel=1e-12)
        for matrix in ("weight_ih", "weight_hh"):
            mask = layer.get_mask(matrix).numpy()
            values = np.abs(original[f"layers.{index}.{matrix}"].numpy().astype(np.float64))
            if matrix in matrices[target]:
                np.testing.assert_array_equal(mask, values >= threshold)
            else:
                assert mask.all()


def test_network_scope_is_one_threshold_over_every_layer():
    body = _body()
    everything = np.abs(_flat(*[body.layers[i].weight_hh for i in range(2)]))
    thresholds = prune_by_percentile(body, 60, target="h2h", scope="network")
    assert thresholds == {"network": pytest.approx(np.percentile(everything, 60), rel=1e-12)}
    pruned = sum(int((~layer.get_mask("weight_hh")).sum()) for layer in body.layers)
    assert pruned == int((everything < np.percentile(everything, 60)).sum())


def test_p_100_zeros_everything_chosen_and_nothing_else():
    body = _body("gru")
    prune_by_percentile(body, 100, target="i2h")
    for layer in body.layers:
        assert not bool(layer.get_mask("weight_ih").any())
        assert bool((layer.weight_ih == 0).all())
        assert bool(layer.get_mask("weight_hh").all())
        assert bool((layer.weight_hh != 0).all())


def test_p_0_prunes_nothing():
    body = _body("tanh")
    prune_by_percentile(body, 0, target="both")
    for layer in body.layers:
        assert bool(layer.get_mask("weight_ih").all()) and bool(layer.get_mask("weight_hh").all())


@pytest.mark.parametrize("percent", [-1, 100.5, float("nan"), "50", True])
def test_a_percent_outside_0_100_is_refused_and_changes_nothing(percent):
    body = _body()
    before = {k: v.clone() for k, v in body.state_dict().items()}
    with pytest.raises(PruningError, match="'percent' parameter of prune_by_percentile must be"):
        prune_by_percentile(body, percent)
    for key, value in body.state_dict().items():
        assert torch.equal(value, before[key])


def test_unknown_scope_is_refused():
    with pytest.raises(PruningError, match=r"'scope'.*\['layer', 'network', 'gate'\]"):
        prune_by_percentile(_body(), 50, scope="global")


def test_masks_only_shrink_a_lower_percent_after_a_higher_one_changes_nothing():
    body = _body()
    prune_by_percentile(body, 50, target="both")
    masks = [layer.get_mask(m).clone() for layer in body.layers for m in ("weight_ih", "weight_hh")]
    prune_by_percentile(body, 20, target="both")  # zeros count: the 20th percentile is 0 now
    after = [layer.get_mask(m) for layer in body.layers for m in ("weight_ih", "weight_hh")]
    for a, b in zip(masks, after, strict=True):
        assert torch.equal(a, b)


def test_the_chained_variant_is_prune_iteratively_with_the_same_targets():
    body = _body(sizes=(4, 4))
    targets = recurrent_targets(body, "h2h")
    scheme = create_pruning_scheme("fixed_size", amount=0.25)
    records = list(
        prune_iteratively(body, "magnitude_class_uniform", scheme, targets=targets, max_steps=2)
    )
    assert [r.pruned_fraction for r in records] == [0.0, 0.25, 0.5]
    for layer in body.layers:
        assert (
            int((~layer.get_mask("weight_hh")).sum()) == 32
        )  # half of the 4 gates x 4 x 4 in every layer
        assert bool(layer.get_mask("weight_ih").all())
