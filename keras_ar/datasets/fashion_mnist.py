"""Fashion-MNIST (Xiao et al. 2017): 28x28 grey images at 256 levels, from the IDX files."""

import gzip
from pathlib import Path

import numpy as np

from keras_ar.datasets import paths
from keras_ar.datasets.mnist import keras_cache_dir
from keras_ar.datasets.preprocessing import check_split

FASHION_MNIST_SPLITS = ("train", "valid", "test")
FASHION_MNIST_NUM_VALID = 10000
# the binarized view: 1 where the grey level is >= 128 (x / 255 > 0.5), else 0
FASHION_MNIST_THRESHOLD = 128
# Debian/Ubuntu's `dataset-fashion-mnist` package installs the IDX files here
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
_FILES = {
    "train": "train-images-idx3-ubyte.gz",
    "test": "t10k-images-idx3-ubyte.gz",
}
_FORMAT = ("the gzipped IDX image file of Fashion-MNIST (magic 2051, uint8, "
           "(N, 28, 28)), as published and as read by keras.datasets.fashion_mnist")
_IDX_UBYTE_IMAGES = 0x00000803


def read_idx_images(file):
    """uint8 `(N, rows, cols)` from a (gzipped) IDX3 file; ValueError if malformed."""
    opener = gzip.open if str(file).endswith(".gz") else open
    try:
        with opener(file, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as error:
        raise ValueError(f"{file}: cannot read the IDX file ({error}).") from error
    if len(raw) < 16:
        raise ValueError(f"{file}: truncated IDX file ({len(raw)} bytes).")
    magic, count, rows, cols = np.frombuffer(raw[:16], ">u4").tolist()
    if magic != _IDX_UBYTE_IMAGES:
        raise ValueError(f"{file}: not an IDX image file (magic {magic:#x}, expected "
                         f"{_IDX_UBYTE_IMAGES:#x}).")
    if len(raw) != 16 + count * rows * cols:
        raise ValueError(f"{file}: expected {count}x{rows}x{cols} pixels after the header, "
                         f"found {len(raw) - 16} bytes (truncated or corrupt).")
    return np.frombuffer(raw, np.uint8, offset=16).reshape(count, rows, cols)


def load_fashion_mnist(split="train", path=None, data_dir=None, binarized=False):
    """Load Fashion-MNIST as flat 28x28 images: grey levels, or a binarized view.

    The IDX files ``train-images-idx3-ubyte.gz`` / ``t10k-images-idx3-ubyte.gz`` are
    looked up via `path` (a directory holding them), `data_dir`, ``$KERAS_AR_DATA`` /
    the default directories (`keras_ar.datasets.paths`), keras' cache
    (``~/.keras/datasets/fashion-mnist``), and last the system location of the
    Debian/Ubuntu package ``dataset-fashion-mnist`` (``/usr/share/datasets/
    fashion-mnist``): a read-only system data directory, not a download.

    Splits (fixed): ``"train"`` = the first 50000 images of the official training
    file, ``"valid"`` = its last 10000, ``"test"`` = the official 10000 test images.

    Args:
        split: ``"train"``, ``"valid"`` or ``"test"``.
        path: directory holding the IDX files (or the split's file itself).
        data_dir: directory to search instead of ``$KERAS_AR_DATA``/defaults.
        binarized: False gives uint8 grey levels 0..255; True gives float32 0/1,
            ``x >= 128`` (a fixed threshold at half intensity).

    Returns:
        ``(N, 784)`` uint8 (grey) or float32 0/1 (binarized), raster order.

    Raises:
        DatasetNotFoundError: the IDX file is nowhere (the message says what to install).
        ValueError: unknown split, or a malformed file.
    """
    check_split("fashion_mnist", split, FASHION_MNIST_SPLITS)
    filename = _FILES["test" if split == "test" else "train"]
    extra = []
    if path is None and data_dir is None:
        extra = [keras_cache_dir() / "fashion-mnist", DEBIAN_DIR]
    file, searched = paths.find_file(filename, path=path, data_dir=data_dir, extra_dirs=extra)
    if file is None:
        raise paths.DatasetNotFoundError(paths.not_found_message(
            "fashion_mnist", filename, _FORMAT, searched,
            extra="or install the Debian/Ubuntu package: apt-get install "
                  "dataset-fashion-mnist (it puts the files in /usr/share/datasets/"
                  "fashion-mnist), or run keras.datasets.fashion_mnist.load_data() "
                  "once while online;"))
    images = read_idx_images(file)
    if images.shape[1:] != (28, 28):
        raise ValueError(f"{file}: images are {images.shape[1:]}, expected (28, 28).")
    x = images.reshape(images.shape[0], 784)
    if split != "test":
        if x.shape[0] <= FASHION_MNIST_NUM_VALID:
            raise ValueError(f"{file}: {x.shape[0]} images; need more than "
                             f"{FASHION_MNIST_NUM_VALID} (the last ones are 'valid').")
        x = x[:-FASHION_MNIST_NUM_VALID] if split == "train" else x[-FASHION_MNIST_NUM_VALID:]
    if binarized:
        return (x >= FASHION_MNIST_THRESHOLD).astype(np.float32)
    return np.ascontiguousarray(x)
