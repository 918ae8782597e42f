"""Presets and validation of the recurrent pruning study's configuration."""

import doctest

import pytest

import ingest.rnn_pruning_config as config_module
from ingest.rnn_pruning_config import RNNPruningConfig, make_rnn_pruning_config


def test_doctests():
    result = doctest.testmod(config_module)
    assert result.attempted > 0 and result.failed == 0


def test_the_paper_preset_is_the_papers_set_up():
    paper = make_rnn_pruning_config("paper")
    assert paper.hidden_sizes == (50, 50, 50)
    assert (paper.sequences, paper.test_fraction, paper.batch_size) == (25_000, 0.25, 32)
    assert (paper.learning_rate, paper.base_epochs) == (1e-3, 50)
    assert paper.percents == tuple(range(10, 101, 10))
    assert paper.retrain_epochs == (0, 1, 2)
    assert paper.targets == ("i2h", "h2h", "both")
    assert paper.cells == ("tanh", "relu", "lstm", "gru")


def test_overrides_replace_fields_and_lists_become_tuples():
    config = make_rnn_pruning_config("demo", cells=["gru"], percents=[10, 90], sequences=None)
    assert config.cells == ("gru",) and config.percents == (10, 90)
    assert config.preset == "demo" and config.sequences == 1000  # None: keep the preset


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cells", ("lstm", "elman"), "'cells' parameter .* 'elman'; valid cells"),
        ("targets", ("gates",), "'targets' parameter .* valid targets: \\['i2h', 'h2h', 'both'\\]"),
        ("percents", (10, 110), "'percents' parameter .* \\[0, 100\\]"),
        ("percents", (0.1, 0.5), None),  # fractions are legal percents (0.1 %), not refused
        ("percents", (30, 30), "strictly increasing"),
        ("retrain_epochs", (0, 1.5), "'retrain_epochs'"),
        ("scope", "global", "'scope' parameter"),
        ("hidden_sizes", (50, 0), "'hidden_sizes'"),
        ("base_train_accuracy", 1.5, "'base_train_accuracy'"),
        ("sequences", 0, "'sequences'"),
        ("repeats", 0, "'repeats' parameter .* positive integer"),
        ("seed", -1, "'seed' parameter .* non-negative integer"),
    ],
)
def test_bad_values_are_refused_naming_the_field(field, value, message):
    if message is None:
        assert getattr(RNNPruningConfig(**{field: value}), field) == value
        return
    with pytest.raises(ValueError, match=message):
        RNNPruningConfig(**{field: value})


def test_unknown_preset_and_field_are_refused():
    with pytest.raises(ValueError, match="valid presets: \\['demo', 'paper'\\]"):
        make_rnn_pruning_config("huge")
    with pytest.raises(ValueError, match="Unknown field\\(s\\) \\['epochs'\\]"):
        make_rnn_pruning_config("demo", epochs=3)


def test_the_device_is_stored_but_does_not_name_the_study():
    on_gpu = make_rnn_pruning_config("demo", device="cuda:1")
    assert on_gpu.to_dict()["device"] == "cuda:1"
    assert on_gpu.identity() == make_rnn_pruning_config("demo").identity()
    with pytest.raises(ValueError, match="'device' parameter of RNNPruningConfig .* 'gpu0'"):
        make_rnn_pruning_config("demo", device="gpu0")
