"""Magnitude variants against numpy selections computed from the weights before pruning."""

import numpy as np
import torch

from models.feedforward import MaskedFeedForward
from models.pruning import prune


def _weights(net):
    return [layer.weight.detach().numpy().copy() for layer in net.layers]


def _removed(net):
    return [(~m).numpy() for m in net.masks()]


def _net():
    torch.manual_seed(4)
    net = MaskedFeedForward(6, [8], 4)  # 48 + 32 weights
    with torch.no_grad():
        net.layers[1].weight.mul_(3.0)  # layers with clearly different spreads
    return net


def test_class_blinded_removes_the_globally_smallest_magnitudes():
    net = _net()
    weights = _weights(net)
    prune(net, "magnitude_class_blinded", 0.4)
    flat = np.concatenate([np.abs(w).ravel() for w in weights])
    expected = np.zeros(flat.size, dtype=bool)
    expected[np.argsort(flat, kind="stable")[:32]] = True
    assert np.array_equal(np.concatenate([r.ravel() for r in _removed(net)]), expected)


def test_class_uniform_removes_the_same_fraction_of_each_layer():
    net = _net()
    weights = _weights(net)
    prune(net, "magnitude_class_uniform", 0.25)
    for w, removed in zip(weights, _removed(net), strict=True):
        assert removed.sum() == w.size // 4
        assert np.abs(w[removed]).max() <= np.abs(w[~removed]).min()


def test_class_distributed_thresholds_are_one_lambda_times_each_layers_std():
    net = _net()
    weights = _weights(net)
    prune(net, "magnitude_class_distributed", 0.5)
    removed = _removed(net)
    assert sum(r.sum() for r in removed) == 40
    ratios = [np.abs(w) / np.abs(w).std() for w in weights]
    low = max(r[m].max() for r, m in zip(ratios, removed, strict=True))
    high = min(r[~m].min() for r, m in zip(ratios, removed, strict=True))
    assert low <= high  # some λ in [low, high] gives every layer threshold λ·σ_l
    lam = (low + high) / 2
    for w, m in zip(weights, removed, strict=True):
        assert np.array_equal(m, np.abs(w) < lam * np.abs(w).std())
    # the per-layer fractions differ from class-uniform's equal split
    assert removed[0].mean() != removed[1].mean()
