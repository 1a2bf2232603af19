"""Fashion-MNIST loader: IDX parsing, fixed splits, binarized view, clear errors."""

import gzip

import numpy as np
import pytest

from keras_ar import datasets
from keras_ar.datasets.fashion_mnist import DEBIAN_DIR, read_idx_images


def write_idx(path, images, magic=0x803):
    header = np.array([magic, *images.shape], ">u4").tobytes()
    with gzip.open(path, "wb") as handle:
        handle.write(header + images.astype(np.uint8).tobytes())


@pytest.fixture
def small_files(tmp_path):
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, (10012, 28, 28))
    test = rng.integers(0, 256, (7, 28, 28))
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", train)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", test)
    return tmp_path, train.reshape(-1, 784), test.reshape(-1, 784)


def test_splits_are_the_documented_slices(small_files):
    directory, train, test = small_files
    x = datasets.load("fashion_mnist", "train", data_dir=directory)
    assert x.dtype == np.uint8
    np.testing.assert_array_equal(x, train[:12])
    np.testing.assert_array_equal(datasets.load("fashion_mnist", "valid", data_dir=directory), train[12:])
    np.testing.assert_array_equal(datasets.load("fashion_mnist", "test", path=directory), test)
    binary = datasets.load("fashion_mnist", "test", data_dir=directory, binarized=True)
    assert binary.dtype == np.float32
    np.testing.assert_array_equal(binary, (test >= 128).astype(np.float32))


def test_malformed_and_missing_files_raise_clear_errors(tmp_path):
    write_idx(tmp_path / "labels.gz", np.zeros((3, 28, 28)), magic=0x801)
    with pytest.raises(ValueError, match="not an IDX image file"):
        read_idx_images(tmp_path / "labels.gz")
    with gzip.open(tmp_path / "short.gz", "wb") as handle:
        handle.write(np.array([0x803, 5, 28, 28], ">u4").tobytes() + b"\0" * 100)
    with pytest.raises(ValueError, match="truncated or corrupt"):
        read_idx_images(tmp_path / "short.gz")
    with pytest.raises(datasets.DatasetNotFoundError, match="apt-get install dataset-fashion-mnist"):
        datasets.load("fashion_mnist", "test", data_dir=tmp_path)


@pytest.mark.skipif(
    not (DEBIAN_DIR / "t10k-images-idx3-ubyte.gz").exists(),
    reason="the Debian package dataset-fashion-mnist is not installed",
)
def test_the_installed_data_set():
    sizes = {split: datasets.load("fashion_mnist", split, path=DEBIAN_DIR).shape for split in ("train", "valid", "test")}
    assert sizes == {"train": (50000, 784), "valid": (10000, 784), "test": (10000, 784)}
    test = datasets.load("fashion_mnist", "test", path=DEBIAN_DIR)
    assert test.min() == 0 and test.max() == 255
    # the first test image is an ankle boot (label 9) in the published files
    assert int(test[0].astype(np.int64).sum()) > 0
