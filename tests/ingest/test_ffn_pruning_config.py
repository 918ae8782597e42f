"""Configuration of the feed-forward pruning study: presets, TOML grids and bad input."""

import pytest
import typer

from app.cli_prune_ffn import percent_to_fraction
from ingest.ffn_pruning_config import (
    PAPER_METHODS,
    load_ffn_pruning_config,
    make_ffn_pruning_config,
)


def test_the_paper_preset_is_the_papers_grid():
    config = make_ffn_pruning_config("paper")
    assert config.architectures == ((100,), (300, 100))
    assert config.learning_rates == (0.01, 0.0001)
    assert config.methods == PAPER_METHODS and len(PAPER_METHODS) == 5
    assert (config.base_epochs, config.batch_size) == (200, 64)


def test_an_unknown_preset_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown preset 'huge'.*\['demo', 'paper'\]"):
        make_ffn_pruning_config("huge")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("methods", ("magnitude", "obd"), r"'methods' .* 'magnitude'; valid values: .*'obd'"),
        ("schemes", ("weekly",), r"'schemes' .* 'weekly'; valid values: .*'percentage'"),
        ("fixed_size_amount", 1.5, r"'fixed_size_amount' .* in \[0, 1\]. Got 1.5"),
        ("percentage_amount", -0.1, r"'percentage_amount' .* in \[0, 1\]. Got -0.1"),
        ("target_sparsity", 1.0, r"'target_sparsity' .* in \(0, 1\)"),
        ("dataset", "cifar", r"'dataset' .* 'cifar'"),
        ("repeats", 0, r"'repeats' .* positive integer. Got 0"),
    ],
)
def test_bad_values_are_refused_naming_the_parameter(field, value, message):
    with pytest.raises(ValueError, match=message):
        make_ffn_pruning_config("demo", **{field: value})


def test_a_bucket_scheme_needs_a_bucket_size():
    with pytest.raises(ValueError, match="bucket_size"):
        make_ffn_pruning_config("demo", schemes=("bucket",))
    config = make_ffn_pruning_config("demo", schemes=("bucket",), bucket_size=0.5)
    assert config.scheme_options("bucket") == {"size": 0.5}


def test_repeats_give_consecutive_seeds_and_keep_the_study_identity():
    one, three = make_ffn_pruning_config("demo"), make_ffn_pruning_config("demo", repeats=3)
    assert three.seeds == (0, 1, 2)
    assert one.identity() == three.identity()


def test_a_toml_file_holds_a_whole_grid(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(
        'preset = "demo"\narchitectures = [[20], [30, 10]]\nlearning_rates = [0.001]\n'
        'methods = ["random", "obd"]\nschemes = ["fixed_size"]\nrepeats = 2\n'
    )
    config = load_ffn_pruning_config(path, retrain_epochs=3)
    assert config.architectures == ((20,), (30, 10))
    assert config.methods == ("random", "obd") and config.schemes == ("fixed_size",)
    assert (config.repeats, config.retrain_epochs, config.base_epochs) == (2, 3, 3)


@pytest.mark.parametrize(
    ("text", "message"),
    [("methods = [", "not valid TOML"), ("epochs = 3", r"Unknown field\(s\) \['epochs'\]"),
     ("learning_rates = [-1.0]", "'learning_rates'")],
)  # fmt: skip
def test_a_bad_toml_file_is_refused_naming_it(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as caught:
        load_ffn_pruning_config(path)
    assert "bad.toml" in str(caught.value)


def test_a_missing_toml_file_is_named(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_ffn_pruning_config(tmp_path / "none.toml")


def test_percent_options_become_fractions_at_the_cli_boundary():
    assert percent_to_fraction(90, "--target-compression") == pytest.approx(0.9)
    assert percent_to_fraction(None, "--target-compression") is None
    with pytest.raises(typer.BadParameter, match=r"--target-compression .* got 120"):
        percent_to_fraction(120, "--target-compression")


def test_the_device_is_stored_but_does_not_name_the_study():
    demo, on_gpu = make_ffn_pruning_config("demo"), make_ffn_pruning_config("demo", device="cuda:1")
    assert on_gpu.to_dict()["device"] == "cuda:1" and demo.device == "cpu"
    assert on_gpu.identity() == demo.identity() and "device" not in demo.identity()
    with pytest.raises(ValueError, match="'device' parameter of FFNPruningConfig .* 'gpu0'"):
        make_ffn_pruning_config("demo", device="gpu0")
