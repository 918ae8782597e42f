"""Each scheme's sequence of sparsities against hand-computed values (100 weights)."""

from itertools import pairwise

import pytest
import torch

from models.masked_linear import MaskedLinear
from models.pruning import (
    PruningError,
    PruningRun,
    create_pruning_scheme,
    list_pruning_schemes,
)

EXAMPLES = {
    "one_shot": {"amount": 0.3},
    "fixed_size": {"amount": 0.3},
    "percentage": {"amount": 0.5},
    "bucket": {"size": 10.0},
    "gradual_cubic": {"final": 0.9, "steps": 3},
}


def _layer():
    """100 weights with magnitudes 1, 2, ..., 100 (in a shuffled layout)."""
    layer = MaskedLinear(10, 10, bias=False)
    order = torch.randperm(100, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        layer.weight.copy_((order + 1).float().reshape(10, 10))
    return layer


def _sparsities(scheme, **options):
    run = PruningRun(_layer(), "magnitude_class_blinded", scheme, **options)
    return [round(record.sparsity, 6) for record in run], run.stop_reason


@pytest.mark.parametrize(
    ("name", "options", "expected", "reason"),
    [
        ("one_shot", {"amount": 0.3}, [0, 0.3], "schedule"),
        ("fixed_size", {"amount": 0.3}, [0, 0.3, 0.6, 0.9, 1.0], "schedule"),
        # removes 50, 25, 13 (12.5 rounds up), 6, 3, 2 (1.5 up), 1 (0.5 up)
        ("percentage", {"amount": 0.5}, [0, 0.5, 0.75, 0.88, 0.94, 0.97, 0.99, 1.0], "schedule"),
        # 1+2+3+4 = 10 fits; then 5, 6, ..., 10 alone; 11 does not fit
        ("bucket", {"size": 10.0}, [0, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.10], "schedule"),
        # s_t = 0.9 - 0.9 (1 - t/3)^3: 0, 0.6333, 0.8667, 0.9 -> 63, 87, 90 weights
        ("gradual_cubic", {"final": 0.9, "steps": 3}, [0, 0.63, 0.87, 0.9], "schedule"),
        (
            "gradual_cubic",
            {"final": 0.9, "initial": 0.5, "steps": 2},
            [0, 0.5, 0.85, 0.9],
            "schedule",
        ),
    ],
)
def test_scheme_sparsity_sequences(name, options, expected, reason):
    sparsities, stop = _sparsities(create_pruning_scheme(name, **options))
    assert sparsities == pytest.approx(expected)
    assert stop == reason


def test_target_sparsity_clips_the_last_step_and_max_steps_stops():
    scheme = create_pruning_scheme("fixed_size", amount=0.3)
    assert _sparsities(scheme, target_sparsity=0.5) == ([0, 0.3, 0.5], "target_sparsity")
    assert _sparsities(scheme, max_steps=2) == ([0, 0.3, 0.6], "max_steps")


@pytest.mark.parametrize("name", list_pruning_schemes())
def test_every_scheme_has_an_example_and_prunes_monotonically_to_an_end(name):
    scheme = create_pruning_scheme(name, **EXAMPLES[name])
    assert scheme.name == name
    sparsities, reason = _sparsities(scheme)
    assert sparsities[0] == 0 and len(sparsities) >= 2
    assert all(b > a for a, b in pairwise(sparsities))
    assert reason == "schedule"


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("one_shot", {"amount": 1.5}, "The 'amount' parameter of one_shot must be a float in"),
        ("percentage", {"amount": -0.1}, r"in \[0, 1\]. Got -0.1 instead"),
        ("fixed_size", {"amount": 0.0}, "The 'amount' parameter of fixed_size must be above 0"),
        ("bucket", {"size": 0}, "The 'size' parameter of bucket must be a positive float"),
        ("gradual_cubic", {"final": 0.5, "initial": 0.6}, "must not exceed 'final'"),
        ("gradual_cubic", {"final": 0.5, "steps": 0}, "'steps' parameter of gradual_cubic"),
    ],
)
def test_scheme_parameters_are_validated(name, options, message):
    with pytest.raises(PruningError, match=message):
        create_pruning_scheme(name, **options)


def test_unknown_scheme_lists_valid_names_and_one_shot_below_current_sparsity_fails():
    with pytest.raises(ValueError, match="Unknown pruning scheme 'gradual'; valid names: .*"):
        create_pruning_scheme("gradual")
    layer = _layer()
    list(PruningRun(layer, "random", create_pruning_scheme("one_shot", amount=0.5)))
    with pytest.raises(PruningError, match="below the fraction already pruned"):
        list(PruningRun(layer, "random", create_pruning_scheme("one_shot", amount=0.3)))
