"""Data sets for keras-ar: local files first, no network, deterministic splits.

Quick start::

    from keras_ar import datasets
    x = datasets.load("digits")                      # embedded, always available
    x = datasets.load("binarized_mnist", "valid")    # float32 (10000, 784) of 0/1
    ds = datasets.load("digits", as_dataset=True, batch_size=64)   # model.fit(ds)

=================  =========================  ===================================
name               returns                    source
=================  =========================  ===================================
binarized_mnist    float32 (N, 784) 0/1        binarized_mnist.npz, else tfds
mnist              int32 (N, 784) 0..K-1       mnist.npz (keras format), else tfds
fashion_mnist      uint8 (N, 784) 0..255, or   Fashion-MNIST IDX .gz files (Debian
                   float32 0/1 (binarized)     package dataset-fashion-mnist)
tiny_shakespeare   str                         tiny_shakespeare.txt, else tfds
names              list[str]                   names.txt
freyfaces          float32 (N, 560) in [0, 1)  freyfaces.npz
digits             float32 (N, 64) 0/1 (or     scikit-learn (embedded)
                   int32 with num_levels)
embedded_names     list[str]                   keras_ar/datasets/embedded_names.py
=================  =========================  ===================================

Files are looked up via ``path=``, else ``data_dir=``, else ``$KERAS_AR_DATA``,
else ``<cwd>/../shared/data`` and ``<repo root>/../shared/data`` (see
`keras_ar.datasets.paths`). Missing files raise `DatasetNotFoundError` (a
`FileNotFoundError`) saying what to put where.
"""

import inspect

from keras_ar.datasets.digits import load_digits
from keras_ar.datasets.fashion_mnist import load_fashion_mnist
from keras_ar.datasets.frey import freyfaces_log_jacobian, load_freyfaces
from keras_ar.datasets.mnist import load_binarized_mnist, load_mnist
from keras_ar.datasets.paths import ENV_VAR, DatasetNotFoundError, default_data_dirs
from keras_ar.datasets.preprocessing import check_split, quantize
from keras_ar.datasets.text import (load_embedded_names, load_names,
                                    load_tiny_shakespeare, split_items)
from keras_ar.datasets.tf_data import to_tf_dataset

# name -> (loader, splits, kind). kind "array" supports as_dataset; "text" does not.
DATASETS = {
    "binarized_mnist": (load_binarized_mnist, ("train", "valid", "test"), "array"),
    "mnist": (load_mnist, ("train", "valid", "test"), "array"),
    "fashion_mnist": (load_fashion_mnist, ("train", "valid", "test"), "array"),
    "tiny_shakespeare": (load_tiny_shakespeare, ("train", "valid", "test"), "text"),
    "names": (load_names, ("train", "valid", "test"), "text"),
    "freyfaces": (load_freyfaces, ("train", "valid", "test"), "array"),
    "digits": (load_digits, ("train", "valid", "test"), "array"),
    "embedded_names": (load_embedded_names, ("train", "valid", "test"), "text"),
}
_AS_DATASET_OPTIONS = ("shuffle", "shuffle_seed")


def list_datasets():
    """Return the known data set names.

    Returns:
        sorted list of `str`.

    Example:
        >>> "digits" in list_datasets()
        True
    """
    return sorted(DATASETS)


def load(name, split="train", path=None, data_dir=None, as_dataset=False, batch_size=None,
         **options):
    """Load one split of a data set by name.

    Args:
        name: one of `list_datasets()`.
        split: ``"train"``, ``"valid"`` or ``"test"``.
        path: explicit data file (or directory holding it) for file-based sets;
            not accepted by embedded sets (``digits``, ``embedded_names``).
        data_dir: directory to search instead of ``$KERAS_AR_DATA`` and the
            defaults; also the tensorflow-datasets ``data_dir`` where a tfds
            fallback exists. Ignored by embedded sets.
        as_dataset: return a `tf.data.Dataset` of examples only (no labels),
            shuffled with a fixed seed for ``"train"``, prefetched. Array data
            sets only; text sets raise ValueError (tokenize them first).
        batch_size: batch size of the `tf.data.Dataset` (requires `as_dataset`).
        **options: loader options, e.g. ``num_levels`` (mnist, digits),
            ``threshold`` (digits), ``seed`` (names, embedded_names),
            ``dequantize`` / ``dequantize_seed`` (freyfaces); with `as_dataset`
            also ``shuffle`` (default: split == "train") and ``shuffle_seed``
            (default 0).

    Returns:
        The loader's value (see the table in the module docstring), or a
        `tf.data.Dataset` when `as_dataset` is True.

    Raises:
        ValueError: unknown name, split or option; `as_dataset` on text; corrupt file.
        DatasetNotFoundError: the data file cannot be found (a FileNotFoundError).

    Example:
        >>> x = load("digits", "test")
        >>> x.shape
        (180, 64)
    """
    if name not in DATASETS:
        raise ValueError(f"Unknown data set {name!r}; known data sets: {list_datasets()}.")
    loader, splits, kind = DATASETS[name]
    check_split(name, split, splits)
    ds_options = {k: options.pop(k) for k in _AS_DATASET_OPTIONS if k in options}
    if as_dataset and kind == "text":
        raise ValueError(f"as_dataset=True is not supported for the text data set {name!r}: "
                         f"it returns raw text; tokenize it (e.g. with keras_ar's "
                         f"Vocabulary) and build the tf.data pipeline from the token ids.")
    if not as_dataset and (batch_size is not None or ds_options):
        raise ValueError(f"batch_size/{list(_AS_DATASET_OPTIONS)} need as_dataset=True.")
    params = inspect.signature(loader).parameters
    unknown = [k for k in options if k not in params or k in ("split", "path", "data_dir")]
    if unknown:
        valid = [k for k in params if k not in ("split", "path", "data_dir")]
        raise ValueError(f"Unknown option(s) {unknown} for data set {name!r}; "
                         f"valid options: {valid + (list(_AS_DATASET_OPTIONS) if kind == 'array' else [])}.")
    kwargs = dict(options)
    if "path" in params:
        kwargs.update(path=path, data_dir=data_dir)
    elif path is not None:
        raise ValueError(f"Data set {name!r} is embedded in keras-ar and takes no path.")
    data = loader(split, **kwargs)
    if not as_dataset:
        return data
    return to_tf_dataset(data, batch_size=batch_size,
                         shuffle=ds_options.get("shuffle", split == "train"),
                         seed=ds_options.get("shuffle_seed", 0))


__all__ = [
    "DATASETS", "DatasetNotFoundError", "ENV_VAR", "default_data_dirs",
    "freyfaces_log_jacobian", "list_datasets", "load", "load_binarized_mnist",
    "load_digits", "load_embedded_names", "load_fashion_mnist", "load_freyfaces", "load_mnist", "load_names",
    "load_tiny_shakespeare", "quantize", "split_items", "to_tf_dataset",
]
