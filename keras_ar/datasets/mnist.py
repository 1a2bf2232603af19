"""MNIST loaders: fixed binarized MNIST (NADE/MADE split) and grey-level MNIST."""

import os
from pathlib import Path

import numpy as np

from keras_ar.datasets import paths
from keras_ar.datasets.preprocessing import check_split, quantize

BINARIZED_MNIST_FILE = "binarized_mnist.npz"
BINARIZED_MNIST_SPLITS = ("train", "valid", "test")
BINARIZED_MNIST_FORMAT = ("a NumPy .npz with keys 'train', 'valid', 'test': uint8 arrays of "
                          "0/1 values, shapes (50000, 784), (10000, 784), (10000, 784), rows "
                          "are 28x28 images in raster order")
_TFDS_SPLIT = {"train": "train", "valid": "validation", "test": "test"}

MNIST_FILE = "mnist.npz"
MNIST_SPLITS = ("train", "valid", "test")
MNIST_FORMAT = ("a NumPy .npz like keras' mnist.npz with keys 'x_train' (60000, 28, 28) and "
                "'x_test' (10000, 28, 28), uint8 grey levels 0..255")
MNIST_NUM_VALID = 10000


def _as_flat_images(x, file, key, num_pixels=784):
    x = np.asarray(x)
    if x.ndim == 4 and x.shape[-1] == 1:  # (N, 28, 28, 1) as tfds gives
        x = x[..., 0]
    if x.ndim == 3 and x.shape[1] * x.shape[2] == num_pixels:
        x = x.reshape(x.shape[0], num_pixels)
    if x.ndim != 2 or x.shape[1] != num_pixels:
        raise ValueError(f"{file}: array {key!r} has shape {x.shape}; expected "
                         f"(N, {num_pixels}) or (N, 28, 28).")
    return x


def load_binarized_mnist(split="train", path=None, data_dir=None):
    """Load the fixed binarized MNIST of Larochelle & Murray (2011).

    Looks for ``binarized_mnist.npz`` (see `keras_ar.datasets.paths` for the
    lookup order); if absent, falls back to the prepared tensorflow-datasets
    data set ``binarized_mnist`` in `data_dir` (never downloads).

    Args:
        split: ``"train"`` (50000), ``"valid"`` (10000) or ``"test"`` (10000).
        path: explicit ``binarized_mnist.npz`` file or directory holding it.
        data_dir: directory searched for the npz, also the tfds ``data_dir``.

    Returns:
        float32 array ``(N, 784)`` of 0/1, 28x28 images in raster order.

    Raises:
        DatasetNotFoundError: no npz found and tfds unavailable/unprepared.
        ValueError: unknown split, or the npz is corrupt (missing keys, wrong
            shape, values other than 0/1).

    Example:
        >>> x = load_binarized_mnist("valid")  # doctest: +SKIP
        >>> x.shape, x.dtype  # doctest: +SKIP
        ((10000, 784), dtype('float32'))
    """
    check_split("binarized_mnist", split, BINARIZED_MNIST_SPLITS)
    file, features = paths.find_or_tfds("binarized_mnist", BINARIZED_MNIST_FILE,
                                        BINARIZED_MNIST_FORMAT, path, data_dir, _TFDS_SPLIT[split])
    if file is not None:
        data = paths.load_npz(file, BINARIZED_MNIST_SPLITS)
        x = _as_flat_images(paths.read_array(data, file, split), file, split)
        source = file
    else:
        source = f"tfds binarized_mnist (data_dir={data_dir})"
        x = _as_flat_images(features["image"], source, "image")
    if x.size and not np.all((x == 0) | (x == 1)):
        bad = np.unique(x[(x != 0) & (x != 1)])[:5]
        raise ValueError(f"{source}: array {split!r} must hold only 0/1 values; found "
                         f"e.g. {bad.tolist()} (grey levels? use load('mnist') instead).")
    return x.astype(np.float32)


def keras_cache_dir():
    """Directory where `keras.datasets.mnist.load_data()` caches ``mnist.npz``."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser() / "datasets"


def load_mnist(split="train", path=None, data_dir=None, num_levels=None):
    """Load grey-level MNIST as integers (for `CategoricalNADE`).

    Looks for ``mnist.npz`` (keras format: ``x_train``, ``x_test``) via `path`,
    `data_dir`, ``KERAS_AR_DATA`` / the default directories, then keras' cache
    (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``); else the prepared
    tensorflow-datasets ``mnist`` in `data_dir` (never downloads).

    Args:
        split: ``"train"`` (first 50000 of the official train set), ``"valid"``
            (its last 10000, deterministic) or ``"test"`` (10000).
        path: explicit ``mnist.npz`` file or directory holding it.
        data_dir: directory searched for ``mnist.npz``, also the tfds ``data_dir``.
        num_levels: None keeps the 256 grey levels; K maps ``v`` to
            ``floor(v * K / 256)`` in ``[0, K)``.

    Returns:
        int32 array ``(N, 784)`` with values in ``[0, num_levels or 256)``.

    Raises:
        DatasetNotFoundError: no file found and tfds unavailable/unprepared.
        ValueError: unknown split, bad `num_levels`, or corrupt npz.

    Example:
        >>> x = load_mnist("test", num_levels=4)  # doctest: +SKIP
        >>> int(x.max()) <= 3  # doctest: +SKIP
        True
    """
    check_split("mnist", split, MNIST_SPLITS)
    extra = [keras_cache_dir()] if (path is None and data_dir is None) else []
    key = "x_test" if split == "test" else "x_train"
    file, features = paths.find_or_tfds(
        "mnist", MNIST_FILE, MNIST_FORMAT, path, data_dir, "test" if split == "test" else "train",
        extra_dirs=extra,
        extra="or run keras.datasets.mnist.load_data() once while online "
              "(it caches ~/.keras/datasets/mnist.npz, which is searched);")
    if file is not None:
        data = paths.load_npz(file, ("x_train", "x_test"))
        x = _as_flat_images(paths.read_array(data, file, key), file, key)
        source = file
    else:
        source = f"tfds mnist (data_dir={data_dir})"
        x = _as_flat_images(features["image"], source, "image")
    if x.size and (x.min() < 0 or x.max() > 255 or not np.all(x == np.floor(x))):
        raise ValueError(f"{source}: array {key!r} must hold integer grey levels 0..255, "
                         f"found range [{x.min()}, {x.max()}] (or NaN/fractions).")
    if split != "test":
        if x.shape[0] <= MNIST_NUM_VALID:
            raise ValueError(f"{source}: {key!r} has {x.shape[0]} rows; need more than "
                             f"{MNIST_NUM_VALID} (the last {MNIST_NUM_VALID} are 'valid').")
        x = x[:-MNIST_NUM_VALID] if split == "train" else x[-MNIST_NUM_VALID:]
    if num_levels is None:
        return x.astype(np.int32)
    return quantize(x, num_levels, 256)
