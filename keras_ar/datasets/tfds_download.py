"""One explicit download step: a data set prepared by tensorflow-datasets, written as
the file its loader reads, into the cache (`keras_ar.datasets.paths.cache_dir`).

    keras-ar data get binarized_mnist          # or
    keras_ar.datasets.load("binarized_mnist", download=True)

A data set is downloadable when its `DatasetSpec` has a `TfdsSource`: the tfds name,
the tfds splits to read, and a function that writes the loader's file from them.
"""

import dataclasses
from pathlib import Path

import numpy as np

from keras_ar import files
from keras_ar.datasets import paths


@dataclasses.dataclass(frozen=True)
class TfdsSource:
    """Where a file comes from: `write(features_by_split, stream)` after tfds prepared
    `name` (features of each split in `splits`, whole split as NumPy)."""

    name: str
    splits: tuple
    write: object


def tfds_builder(name, data_dir):
    """`tfds.builder(name, data_dir=...)` (a clear error without tensorflow-datasets)."""
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        raise ImportError(
            "Downloading needs tensorflow-datasets: pip install 'keras-ar[data]'."
        ) from None
    return tfds.builder(name, data_dir=str(data_dir))


def download(file, source, data_dir=None):
    """Prepares `source` with tfds under `<data_dir>/tfds` and writes `<data_dir>/<file>`
    (`data_dir` default: the cache). Returns the path of the written file."""
    target = Path(data_dir) if data_dir is not None else paths.cache_dir()
    target.mkdir(parents=True, exist_ok=True)
    builder = tfds_builder(source.name, target / "tfds")
    builder.download_and_prepare()
    features = {split: _numpy(builder.as_dataset(split=split, batch_size=-1))
                for split in source.splits}
    path = target / file
    with files.replacing(path) as stream:  # never a half-written data file
        source.write(features, stream)
    return path


def _numpy(features):
    return {key: np.asarray(value) for key, value in dict(features).items()}


def _images(features):
    x = features["image"]
    return x.reshape(x.shape[0], -1).astype(np.uint8)  # (N, 28, 28, 1) -> (N, 784)


def write_binarized_mnist(features, stream):
    np.savez(stream, train=_images(features["train"]), valid=_images(features["validation"]),
             test=_images(features["test"]))


def write_mnist(features, stream):
    images = {split: features[split]["image"][..., 0].astype(np.uint8) for split in ("train", "test")}
    np.savez(stream, x_train=images["train"], x_test=images["test"])


def write_text(features, stream):
    for split in ("train", "validation", "test"):  # tfds cuts the text in this order
        stream.write(b"".join(bytes(t) for t in np.asarray(features[split]["text"]).reshape(-1)))
