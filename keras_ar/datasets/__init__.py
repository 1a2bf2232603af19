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
then the cache ``~/.keras/datasets/keras_ar`` (see `keras_ar.datasets.paths`).
Missing files raise `DatasetNotFoundError` (a `FileNotFoundError`) saying what to put
where. ``load(name, download=True)`` (or ``keras-ar data get NAME``) fetches a data
set that tensorflow-datasets provides into the cache first; nothing else goes online.

To add a data set, add one entry to `DATASETS`: its loader (``loader(split, path=None,
data_dir=None, **options)``), splits, kind (``"array"`` or ``"text"``), and for images
the shape of one image; a `TfdsSource` makes it downloadable.
"""

import dataclasses
import inspect

from keras_ar.datasets import tfds_download
from keras_ar.datasets.digits import load_digits
from keras_ar.datasets.fashion_mnist import load_fashion_mnist
from keras_ar.datasets.frey import freyfaces_log_jacobian, load_freyfaces
from keras_ar.datasets.mnist import load_binarized_mnist, load_mnist
from keras_ar.datasets.paths import ENV_VAR, DatasetNotFoundError, cache_dir, default_data_dirs
from keras_ar.datasets.preprocessing import check_split, quantize
from keras_ar.datasets.text import (
    load_embedded_names,
    load_names,
    load_tiny_shakespeare,
    split_items,
)
from keras_ar.datasets.tf_data import to_tf_dataset
from keras_ar.datasets.tfds_download import TfdsSource


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """A registered data set: how to load it and what a model needs to know about it."""

    loader: object
    splits: tuple = ("train", "valid", "test")
    kind: str = "array"  # "array" supports as_dataset; "text" does not
    image_shape: tuple = None  # of one example, for image grids and orderings
    log_jacobian: object = None  # input_dim -> nats from the model's space to pixel space
    file: str = None  # the file the loader reads (None: embedded)
    source: TfdsSource = None  # how `download=True` gets the file (None: not downloadable)


DATASETS = {
    "binarized_mnist": DatasetSpec(
        load_binarized_mnist, image_shape=(28, 28), file="binarized_mnist.npz",
        source=TfdsSource("binarized_mnist", ("train", "validation", "test"),
                          tfds_download.write_binarized_mnist)),
    "mnist": DatasetSpec(
        load_mnist, image_shape=(28, 28), file="mnist.npz",
        source=TfdsSource("mnist", ("train", "test"), tfds_download.write_mnist)),
    "fashion_mnist": DatasetSpec(load_fashion_mnist, image_shape=(28, 28)),
    "tiny_shakespeare": DatasetSpec(
        load_tiny_shakespeare, kind="text", file="tiny_shakespeare.txt",
        source=TfdsSource("tiny_shakespeare", ("train", "validation", "test"),
                          tfds_download.write_text)),
    "names": DatasetSpec(load_names, kind="text", file="names.txt"),
    "freyfaces": DatasetSpec(load_freyfaces, image_shape=(28, 20), file="freyfaces.npz",
                             log_jacobian=freyfaces_log_jacobian),
    "digits": DatasetSpec(load_digits, image_shape=(8, 8)),
    "embedded_names": DatasetSpec(load_embedded_names, kind="text"),
}


def dataset_spec(name):
    """The `DatasetSpec` of `name` (ValueError listing the known names)."""
    if name not in DATASETS:
        raise ValueError(f"Unknown data set {name!r}; known data sets: {list_datasets()}.")
    spec = DATASETS[name]
    return spec if isinstance(spec, DatasetSpec) else DatasetSpec(*spec)


def download(name, data_dir=None):
    """Downloads `name` with tensorflow-datasets into `data_dir` (default: the cache,
    `cache_dir()`) as the file its loader reads; returns that file's path.

    Raises:
        ValueError: the data set is embedded or has no tensorflow-datasets source.
        ImportError: tensorflow-datasets is not installed.
    """
    return _download_source(name, dataset_spec(name), data_dir)


def _download_source(name, spec, data_dir):
    if spec.source is None:
        downloadable = sorted(n for n in DATASETS if dataset_spec(n).source is not None)
        raise ValueError(f"Data set {name!r} cannot be downloaded by keras-ar (it is embedded, "
                         f"or has no tensorflow-datasets source); downloadable: {downloadable}.")
    return tfds_download.download(spec.file, spec.source, data_dir)


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
         download=False, **options):
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
        download: when the file is not found, download it first with
            tensorflow-datasets into `data_dir` (default: the cache); see `download`.
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
    spec = dataset_spec(name)
    loader, kind = spec.loader, spec.kind
    check_split(name, split, spec.splits)
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
    if download and path is None and spec.source is not None:
        from keras_ar.datasets.paths import find_file

        if find_file(spec.file, data_dir=data_dir)[0] is None:
            _download_source(name, spec, data_dir)
    data = loader(split, **kwargs)
    if not as_dataset:
        return data
    return to_tf_dataset(data, batch_size=batch_size,
                         shuffle=ds_options.get("shuffle", split == "train"),
                         seed=ds_options.get("shuffle_seed", 0))


__all__ = [
    "DATASETS",
    "ENV_VAR",
    "DatasetNotFoundError",
    "DatasetSpec",
    "TfdsSource",
    "cache_dir",
    "dataset_spec",
    "default_data_dirs",
    "download",
    "freyfaces_log_jacobian",
    "list_datasets",
    "load",
    "load_binarized_mnist",
    "load_digits",
    "load_fashion_mnist",
    "load_embedded_names",
    "load_freyfaces",
    "load_mnist",
    "load_names",
    "load_tiny_shakespeare",
    "quantize",
    "split_items",
    "to_tf_dataset",
]
