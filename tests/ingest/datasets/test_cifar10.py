"""CIFAR-10 loader: the real pickle format on tiny files, and every bad directory refused."""

import os
import pickle

import numpy as np
import pytest
import torch

from ingest.datasets import DatasetFileError, create_dataset
from ingest.datasets.cifar10 import read_cifar_batch
from tests.ingest.datasets.cifar_files import write_cifar_batches


def test_batches_load_pixel_for_pixel_in_channel_major_order(tmp_path):
    directory = write_cifar_batches(tmp_path / "cifar", per_batch=10)
    data = create_dataset("cifar10", data_dir=directory)
    first = pickle.loads((directory / "data_batch_1").read_bytes(), encoding="bytes")
    test = pickle.loads((directory / "test_batch").read_bytes(), encoding="bytes")
    assert len(data.train_labels) == 50 and len(data.test_labels) == 10
    assert (data.channels, data.image_shape) == (3, (32, 32))
    np.testing.assert_allclose(data.train_inputs[:10].numpy() * 255, first[b"data"], atol=1e-3)
    np.testing.assert_allclose(data.test_inputs.numpy() * 255, test[b"data"], atol=1e-3)
    assert data.test_labels.tolist() == test[b"labels"]
    # red plane first: pixel (row 0, col 1) of the green channel is byte 1024 + 1
    image = data.train_inputs.view(-1, 3, 32, 32)[0]
    assert float(image[1, 0, 1]) * 255 == pytest.approx(first[b"data"][0, 1025], abs=1e-3)
    assert len(create_dataset("cifar10", data_dir=directory, max_train=7).train_labels) == 7


def test_missing_directory_and_batches_are_named(tmp_path):
    with pytest.raises(DatasetFileError, match="CIFAR-10 is not embedded: give --data-dir"):
        create_dataset("cifar10")
    with pytest.raises(DatasetFileError, match="does not exist"):
        create_dataset("cifar10", data_dir=tmp_path / "nowhere")
    directory = write_cifar_batches(tmp_path / "cifar", per_batch=2)
    os.remove(directory / "data_batch_3")
    os.remove(directory / "test_batch")
    with pytest.raises(DatasetFileError, match="lacks data_batch_3, test_batch"):
        create_dataset("cifar10", data_dir=directory)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a pickle", "is not a CIFAR-10 python batch"),
        (pickle.dumps([1, 2, 3]), "must be a dict with b'data' and b'labels'; found list"),
        (pickle.dumps({b"data": np.zeros((2, 10), np.uint8), b"labels": [0, 1]}),
         r"data of shape \(2, 10\)"),
        (pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}),
         "has 1 labels for 2 images"),
        (pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": [12]}),
         "holds label 12"),
        (pickle.dumps({b"data": torch.nn.Identity(), b"labels": [0]}), "would build torch"),
    ],
)  # fmt: skip
def test_malformed_batches_are_refused_naming_the_file(tmp_path, content, message):
    path = tmp_path / "data_batch_1"
    path.write_bytes(content)
    with pytest.raises(DatasetFileError, match=message) as caught:
        read_cifar_batch(path)
    assert "data_batch_1" in str(caught.value)
