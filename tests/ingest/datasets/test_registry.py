"""Dataset registry: contract over every registered dataset, duplicates, unknown names."""

import numpy as np
import pytest
import torch

from ingest.datasets import create_dataset, list_datasets, register_dataset
from tests.ingest.datasets.cifar_files import write_cifar_batches

# Options a dataset needs to load in a test (files written under tmp_path); default: none.
_OPTIONS = {"cifar10": lambda tmp_path: {"data_dir": write_cifar_batches(tmp_path / "cifar")}}


@pytest.mark.parametrize("name", list_datasets())
def test_every_dataset_keeps_the_contract(name, tmp_path):
    data = create_dataset(name, **_OPTIONS.get(name, lambda _: {})(tmp_path))
    height, width = data.image_shape
    for inputs, labels in (
        (data.train_inputs, data.train_labels),
        (data.test_inputs, data.test_labels),
    ):
        assert inputs.dtype == torch.float32 and labels.dtype == torch.int64
        assert inputs.shape == (len(labels), data.channels * height * width)
        assert float(inputs.min()) >= 0.0 and float(inputs.max()) <= 1.0
        assert sorted(set(labels.tolist())) == list(range(data.num_classes))
    batches = list(data.loader("test", batch_size=64))
    assert sum(len(labels) for _, labels in batches) == len(data.test_labels)
    shuffled = [labels for _, labels in data.loader("train", shuffle=True, seed=3)]
    again = [labels for _, labels in data.loader("train", shuffle=True, seed=3)]
    assert all(torch.equal(a, b) for a, b in zip(shuffled, again, strict=True))
    with pytest.raises(ValueError, match="The 'split' parameter of Dataset.loader"):
        data.loader("validation")


def test_digits_is_scikit_learns_digits_scaled_to_unit_interval():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    data = create_dataset("digits", seed=0, test_fraction=0.25)
    joined = torch.cat([data.train_inputs, data.test_inputs]).double().numpy() * 16
    assert len(joined) == len(bunch.target)
    np.testing.assert_allclose(np.sort(joined.sum(axis=1)), np.sort(bunch.data.sum(axis=1)))
    assert abs(len(data.test_labels) - 0.25 * len(bunch.target)) < 1


def test_registry_refuses_duplicates_unknown_names_and_bad_fractions():
    with pytest.raises(ValueError, match="A dataset named 'digits' is already registered"):
        register_dataset("digits")(lambda: None)
    with pytest.raises(
        ValueError, match=r"Unknown dataset 'cifar'; valid names: \['cifar10', 'digits', "
    ):
        create_dataset("cifar")
    with pytest.raises(ValueError, match="The 'test_fraction' parameter of digits must be"):
        create_dataset("digits", test_fraction=1.0)
