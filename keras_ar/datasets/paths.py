"""Locating data files for `keras_ar.datasets` (no network access, ever).

Lookup order for a data file such as ``binarized_mnist.npz``:

1. ``path=`` given: that file (or ``<path>/<file name>`` when ``path`` is a
   directory). Nothing else is tried.
2. ``data_dir=`` given: ``<data_dir>/<file name>``; the same ``data_dir`` is then
   handed to tensorflow-datasets by the loaders that support it.
3. Environment variable ``KERAS_AR_DATA`` set: ``$KERAS_AR_DATA/<file name>``
   (it *replaces* the default directories below).
4. Otherwise the default directories, in order: ``<cwd>/../shared/data`` and
   ``<repo root>/../shared/data`` where the repo root is the parent of the
   ``keras_ar`` package folder.
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


def repo_root():
    """Return the repository root: the parent of the `keras_ar` package folder.

    Returns:
        `pathlib.Path`.

    Example:
        >>> (repo_root() / "keras_ar").is_dir()
        True
    """
    return Path(__file__).resolve().parent.parent.parent


def default_data_dirs():
    """Return the directories searched when neither `path` nor `data_dir` is given.

    Returns:
        List of `pathlib.Path`: ``[$KERAS_AR_DATA]`` when the variable is set,
        else ``[<cwd>/../shared/data, <repo root>/../shared/data]`` (duplicates
        removed). The directories need not exist.

    Example:
        >>> dirs = default_data_dirs()
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return [Path(env).expanduser()]
    candidates = [
        Path.cwd() / ".." / "shared" / "data",
        repo_root() / ".." / "shared" / "data",
    ]
    out, seen = [], set()
    for c in candidates:
        key = os.path.normcase(os.path.abspath(c))
        if key not in seen:
            seen.add(key)
            out.append(Path(os.path.abspath(c)))
    return out


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


def not_found_message(dataset, filename, file_format, searched, tfds_name=None,
                      tfds_error=None, extra=None):
    """Build the message of a `DatasetNotFoundError` (what to do, exactly)."""
    lines = [
        f"Data set {dataset!r}: could not find {filename!r}.",
        "Searched: " + (", ".join(str(s) for s in searched) or "(nowhere)"),
        "To fix it, do one of:",
        f"  - put {filename} ({file_format}) in a directory and set the environment "
        f"variable {ENV_VAR} to that directory, or pass data_dir=<that directory>, "
        f"or pass path='/full/path/to/{filename}';",
    ]
    if extra:
        lines.append(f"  - {extra}")
    if tfds_name is not None:
        lines.append(
            f"  - or install tensorflow-datasets and prepare {tfds_name!r} once "
            f"(import tensorflow_datasets as tfds; "
            f"tfds.builder({tfds_name!r}, data_dir=DIR).download_and_prepare()), "
            f"then pass data_dir=DIR (keras-ar never downloads: download=False).")
        if tfds_error:
            lines.append(f"(tensorflow-datasets fallback: {tfds_error})")
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
