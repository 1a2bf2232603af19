"""Locating data files for `keras_ar.datasets` (the network only on request).

Lookup order for a data file such as ``binarized_mnist.npz``:

1. ``path=`` given: that file (or ``<path>/<file name>`` when ``path`` is a
   directory). Nothing else is tried.
2. ``data_dir=`` given: ``<data_dir>/<file name>``; the same ``data_dir`` is then
   handed to tensorflow-datasets by the loaders that support it.
3. Otherwise ``$KERAS_AR_DATA/<file name>`` when the variable is set, then the cache
   ``~/.keras/datasets/keras_ar/<file name>`` (``$KERAS_HOME/datasets/keras_ar`` when
   ``KERAS_HOME`` is set, as Keras does).

Nothing is downloaded unless asked: ``datasets.load(name, download=True)`` or
``keras-ar data get NAME`` prepares the data set with tensorflow-datasets and writes
its file into the cache (`keras_ar.datasets.tfds_download`).
"""

import os
import zipfile
from pathlib import Path

import numpy as np

ENV_VAR = "KERAS_AR_DATA"


class DatasetNotFoundError(FileNotFoundError):
    """Raised when the files of a data set cannot be found locally.

    Subclass of `FileNotFoundError`; the message says which file (name, format)
    is expected, where it was searched and how to provide it.
    """


def cache_dir():
    """The download cache, ``$KERAS_HOME/datasets/keras_ar`` (default ``~/.keras/...``).

    Example:
        >>> cache_dir().parts[-2:]
        ('datasets', 'keras_ar')
    """
    home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(home).expanduser() / "datasets" / "keras_ar"


def default_data_dirs():
    """Return the directories searched when neither `path` nor `data_dir` is given.

    Returns:
        List of `pathlib.Path`: ``$KERAS_AR_DATA`` when the variable is set, then
        `cache_dir()`. The directories need not exist.

    Example:
        >>> default_data_dirs()[-1] == cache_dir()
        True
    """
    env = os.environ.get(ENV_VAR)
    return ([Path(env).expanduser()] if env else []) + [cache_dir()]


def search_dirs(data_dir=None):
    """Return the directories to search: ``[data_dir]`` if given, else the defaults.

    Args:
        data_dir: optional directory (str or path-like).

    Returns:
        List of `pathlib.Path`.

    Example:
        >>> search_dirs("/tmp")
        [PosixPath('/tmp')]
    """
    if data_dir is not None:
        return [Path(data_dir).expanduser()]
    return default_data_dirs()


def find_file(filename, path=None, data_dir=None, extra_dirs=()):
    """Locate a data file without raising.

    Args:
        filename: the expected file name, e.g. ``"binarized_mnist.npz"``.
        path: explicit file, or directory containing `filename`. When given, it
            is the only place looked at.
        data_dir: directory to search instead of the default directories.
        extra_dirs: further directories searched last (when `path` is None).

    Returns:
        ``(found, searched)``: the `pathlib.Path` of the file or None, and the
        list of candidate file paths that were tried (for error messages).

    Example:
        >>> found, searched = find_file("names.txt")
    """
    if path is not None:
        p = Path(path).expanduser()
        candidates = [p / filename] if p.is_dir() else [p]
    else:
        dirs = list(search_dirs(data_dir)) + [Path(d) for d in extra_dirs]
        candidates = [d / filename for d in dirs]
    for c in candidates:
        if c.is_file():
            return c, candidates
    return None, candidates


def find_or_tfds(dataset, filename, file_format, path, data_dir, tfds_split, extra_dirs=(),
                 extra=None):
    """The data file, else one split of the prepared tensorflow-datasets `dataset`.

    Returns:
        ``(file, None)`` when the file is found, else ``(None, features)`` (NumPy).

    Raises:
        DatasetNotFoundError: neither; the message says where it looked and what to do.
    """
    file, searched = find_file(filename, path=path, data_dir=data_dir, extra_dirs=extra_dirs)
    if file is not None:
        return file, None
    features, error = None, "not tried (explicit path given)"
    if path is None:
        features, error = tfds_load_numpy(dataset, tfds_split, data_dir)
    if features is None:
        raise DatasetNotFoundError(not_found_message(
            dataset, filename, file_format, searched, tfds_name=dataset, tfds_error=error,
            extra=extra))
    return None, features


def not_found_message(dataset, filename, file_format, searched, tfds_name=None,
                      tfds_error=None, extra=None):
    """Build the message of a `DatasetNotFoundError` (what to do, exactly)."""
    lines = [
        f"Data set {dataset!r}: could not find {filename!r}.",
        "Searched: " + (", ".join(str(s) for s in searched) or "(nowhere)"),
        "To fix it, do one of:",
    ]
    if tfds_name is not None:
        lines.append(
            f"  - download it once (needs the network and tensorflow-datasets, "
            f"pip install 'keras-ar[data]'): keras-ar data get {dataset}, or "
            f"keras_ar.datasets.load({dataset!r}, download=True); it goes to {cache_dir()};")
    lines.append(
        f"  - put {filename} ({file_format}) in a directory and set the environment "
        f"variable {ENV_VAR} to that directory, or pass data_dir=<that directory>, "
        f"or pass path='/full/path/to/{filename}';")
    if extra:
        lines.append(f"  - {extra}")
    if tfds_name is not None and tfds_error:
        lines.append(f"(a prepared tensorflow-datasets {tfds_name!r} was looked for too: "
                     f"{tfds_error})")
    return "\n".join(lines)


def load_npz(file, required_keys):
    """Open an ``.npz`` file and check it holds `required_keys`.

    Args:
        file: path of the file.
        required_keys: iterable of key names that must be present.

    Returns:
        The opened `numpy.lib.npyio.NpzFile` (arrays are read lazily).

    Raises:
        ValueError: the file is not a valid npz archive or a key is missing; the
            message names the file.

    Example:
        >>> d = load_npz("binarized_mnist.npz", ["train"])  # doctest: +SKIP
    """
    try:
        data = np.load(file, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise ValueError(f"{file}: not a readable NumPy .npz archive ({e}).") from e
    if not hasattr(data, "files"):
        raise ValueError(f"{file}: expected a NumPy .npz archive (np.savez), got a "
                         f"single array saved with np.save.")
    missing = [k for k in required_keys if k not in data.files]
    if missing:
        raise ValueError(f"{file}: missing key(s) {missing}; found keys {sorted(data.files)}, "
                         f"expected {list(required_keys)}.")
    return data


def read_array(data, file, key):
    """Read ``data[key]`` from an open npz, turning read errors into ValueError."""
    try:
        return data[key]
    except Exception as e:  # corrupt member, pickled object array, ...
        raise ValueError(f"{file}: cannot read array {key!r} ({e}).") from e


def tfds_load_numpy(name, split, data_dir=None):
    """Load one split of a prepared tensorflow-datasets data set as NumPy, no download.

    Args:
        name: tfds name, e.g. ``"binarized_mnist"``.
        split: tfds split name, e.g. ``"validation"``.
        data_dir: tfds data directory (None = tfds default).

    Returns:
        ``(features, error)``: a dict of NumPy arrays (whole split in one batch)
        and None, or None and a short string saying why it failed (tfds not
        installed, data not prepared...).

    Example:
        >>> feats, err = tfds_load_numpy("mnist", "test")
    """
    try:
        import tensorflow_datasets as tfds  # lazy, optional
    except ImportError:
        return None, "tensorflow_datasets is not installed"
    try:
        ds = tfds.load(name, split=split, data_dir=data_dir, download=False, batch_size=-1)
        return tfds.as_numpy(ds), None
    except Exception as e:  # tfds raises many kinds of errors for unprepared data
        return None, (f"tfds.load({name!r}, split={split!r}, data_dir={data_dir!r}, "
                      f"download=False) failed: {type(e).__name__}: {e}")
