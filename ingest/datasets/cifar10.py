"""CIFAR-10 from the "python version" pickle batches in a directory the user names.

The archive ``cifar-10-python.tar.gz`` of Krizhevsky unpacks to ``data_batch_1`` …
``data_batch_5`` (10,000 training images each) and ``test_batch`` (10,000 test images): each a
pickled dict with ``b"data"`` — a ``(10000, 3072)`` uint8 array, the 1,024 red, then green,
then blue values of a 32×32 image, row by row — and ``b"labels"``, ten classes 0 … 9. Nothing
is downloaded: ``create_dataset("cifar10", data_dir=DIR)`` reads those files.

The batches are pickles, and unpickling can run code. They are read with an unpickler that
builds only the plain containers and numpy arrays the format uses and refuses anything else,
so a tampered file fails with :class:`~ingest.datasets.mnist.DatasetFileError` instead of
running what it carries.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

from ingest.datasets.mnist import DatasetFileError
from ingest.datasets.registry import Dataset, register_dataset

__all__ = ["CIFAR10_SHAPE", "TRAIN_BATCHES", "TEST_BATCH", "load_cifar10", "read_cifar_batch"]

TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
CIFAR10_SHAPE = (3, 32, 32)  # (channels, height, width) of one image
_PIXELS = int(np.prod(CIFAR10_SHAPE))
# What the format's pickles may build: containers and numpy arrays, nothing that runs code.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 rebuild bytes
}


@register_dataset("cifar10")
def load_cifar10(*, data_dir: str | Path | None = None, max_train: int | None = None) -> Dataset:
    """The CIFAR-10 batches in ``data_dir``: 50,000 training and 10,000 test images.

    Inputs are flattened ``(samples, 3072)`` float32 in [0, 1] in the files' channel-major
    order, so ``inputs.view(-1, 3, 32, 32)`` is the image batch.

    Parameters
    ----------
    max_train:
        Keep only the first this many training images (a quick look; ``None``: all).

    Raises
    ------
    DatasetFileError
        ``data_dir`` not given or not a directory, a batch missing (all missing ones named),
        or a batch malformed (not a CIFAR-10 pickle, wrong array shape, labels out of range).
    """
    if data_dir is None:
        raise DatasetFileError(
            "CIFAR-10 is not embedded: give --data-dir, a directory holding the python batches "
            f"{', '.join(TRAIN_BATCHES)} and {TEST_BATCH} (cifar-10-python.tar.gz unpacked)."
        )
    if max_train is not None and (isinstance(max_train, bool) or max_train < 1):
        raise ValueError(
            f"The 'max_train' parameter of load_cifar10 must be a positive int. "
            f"Got {max_train!r} instead."
        )
    directory = Path(data_dir)
    if not directory.is_dir():
        raise DatasetFileError(f"The CIFAR-10 directory {str(directory)!r} does not exist.")
    missing = [name for name in (*TRAIN_BATCHES, TEST_BATCH) if not (directory / name).is_file()]
    if missing:
        raise DatasetFileError(
            f"The CIFAR-10 directory {str(directory)!r} lacks {', '.join(missing)}: it must "
            f"hold {', '.join(TRAIN_BATCHES)} and {TEST_BATCH} (cifar-10-python.tar.gz unpacked)."
        )
    train = [read_cifar_batch(directory / name) for name in TRAIN_BATCHES]
    train_x = np.concatenate([x for x, _ in train])[:max_train]
    train_y = np.concatenate([y for _, y in train])[:max_train]
    test_x, test_y = read_cifar_batch(directory / TEST_BATCH)
    import torch  # local: reading batches needs no torch

    return Dataset(
        name=f"cifar10 (python batches in {directory})",
        train_inputs=torch.as_tensor(train_x / 255.0, dtype=torch.float32),
        train_labels=torch.as_tensor(train_y, dtype=torch.int64),
        test_inputs=torch.as_tensor(test_x / 255.0, dtype=torch.float32),
        test_labels=torch.as_tensor(test_y, dtype=torch.int64),
        num_classes=10,
        image_shape=CIFAR10_SHAPE[1:],
        channels=CIFAR10_SHAPE[0],
    )


def read_cifar_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """``(images (n, 3072) uint8, labels (n,) int64)`` of one CIFAR-10 python batch.

    Raises
    ------
    DatasetFileError
        Naming ``path``: unreadable, not a pickle of the format (or one that would build
        other objects), no ``data``/``labels``, data not ``(n, 3072)`` uint8, labels not
        ``n`` values in 0 … 9.
    """
    path = Path(path)
    try:
        batch = _SafeUnpickler(io.BytesIO(path.read_bytes()), encoding="bytes").load()
    except OSError as error:
        raise DatasetFileError(f"Cannot read the CIFAR-10 batch {str(path)!r}: {error}") from error
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as error:
        raise DatasetFileError(
            f"{str(path)!r} is not a CIFAR-10 python batch (a pickled dict): {error}"
        ) from error
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        found = sorted(batch) if isinstance(batch, dict) else type(batch).__name__
        raise DatasetFileError(
            f"The CIFAR-10 batch {str(path)!r} must be a dict with b'data' and b'labels'; "
            f"found {found}."
        )
    data, labels = np.asarray(batch[b"data"]), np.asarray(batch[b"labels"])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != _PIXELS:
        raise DatasetFileError(
            f"The CIFAR-10 batch {str(path)!r} holds data of shape {data.shape} and type "
            f"{data.dtype}; expected (images, {_PIXELS}) uint8."
        )
    if labels.shape != (len(data),) or not np.issubdtype(labels.dtype, np.integer):
        raise DatasetFileError(
            f"The CIFAR-10 batch {str(path)!r} has {labels.size} labels for {len(data)} images "
            "(expected one integer per image)."
        )
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise DatasetFileError(
            f"The CIFAR-10 batch {str(path)!r} holds label {int(labels.max())}; classes are 0-9."
        )
    return data, labels.astype(np.int64)


class _SafeUnpickler(pickle.Unpickler):
    """Builds only what the CIFAR-10 format contains (see the module docstring)."""

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"it would build {module}.{name}, which the format never holds"
        )
