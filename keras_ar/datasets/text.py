"""Text loaders: tiny Shakespeare (one string per split) and names (list of strings)."""

import random

from keras_ar.datasets import paths
from keras_ar.datasets.preprocessing import check_split

SHAKESPEARE_FILE = "tiny_shakespeare.txt"
SHAKESPEARE_SPLITS = ("train", "valid", "test")
SHAKESPEARE_FORMAT = "a UTF-8 text file, the 1,115,394-character char-rnn corpus"
SHAKESPEARE_TRAIN_FRACTION = 0.9

NAMES_FILE = "names.txt"
NAMES_SPLITS = ("train", "valid", "test")
NAMES_FORMAT = "a UTF-8 text file, one name per line (karpathy/makemore names.txt)"
NAMES_SEED = 42


def _read_text(file):
    try:
        with open(file, encoding="utf-8", newline="") as f:
            return f.read()
    except UnicodeDecodeError as e:
        raise ValueError(f"{file}: not a UTF-8 text file ({e}).") from e


def load_tiny_shakespeare(split="train", path=None, data_dir=None):
    """Load the tiny Shakespeare corpus as one string per split.

    The split is by position: the first ``int(0.9 * len(text))`` characters are
    ``"train"`` (1,003,854 characters), the rest ``"valid"``. ``"test"`` is the
    same text as ``"valid"`` (the char-rnn convention has no separate test set).
    Reads ``tiny_shakespeare.txt``; if absent, the prepared tensorflow-datasets
    ``tiny_shakespeare`` (its train, validation and test splits concatenated,
    which is the same text), never downloading.

    Args:
        split: ``"train"``, ``"valid"`` or ``"test"`` (= ``"valid"``).
        path: explicit ``tiny_shakespeare.txt`` file or directory holding it.
        data_dir: directory searched for the file, also the tfds ``data_dir``.

    Returns:
        `str`, the text of the split (not tokenized).

    Raises:
        DatasetNotFoundError: no file found and tfds unavailable/unprepared.
        ValueError: unknown split or unreadable file.

    Example:
        >>> text = load_tiny_shakespeare("valid")  # doctest: +SKIP
        >>> len(text)  # doctest: +SKIP
        111540
    """
    check_split("tiny_shakespeare", split, SHAKESPEARE_SPLITS)
    file, features = paths.find_or_tfds("tiny_shakespeare", SHAKESPEARE_FILE, SHAKESPEARE_FORMAT,
                                        path, data_dir, "train")
    if file is not None:
        text = _read_text(file)
    else:  # tfds cuts the text into train, validation and test, in this order
        parts = [features] + [paths.tfds_load_numpy("tiny_shakespeare", s, data_dir)[0]
                              for s in ("validation", "test")]
        if any(part is None for part in parts):
            raise ValueError(f"tfds tiny_shakespeare (data_dir={data_dir}) lacks a split.")
        text = "".join(t.decode("utf-8") if isinstance(t, bytes) else str(t)
                       for part in parts for t in part["text"].reshape(-1))
    n_train = int(SHAKESPEARE_TRAIN_FRACTION * len(text))
    return text[:n_train] if split == "train" else text[n_train:]


def split_items(items, split, seed=NAMES_SEED):
    """Shuffle a list with a fixed seed and return its 80/10/10 ``split``.

    Same recipe as karpathy's makemore lectures: ``random.seed(seed);
    random.shuffle(items)``, then ``[:n1]``, ``[n1:n2]``, ``[n2:]`` with
    ``n1 = int(0.8 * n)``, ``n2 = int(0.9 * n)``. Disjoint by position
    (a repeated item may appear in several splits).

    Args:
        items: list of items (not modified).
        split: ``"train"``, ``"valid"`` or ``"test"``.
        seed: shuffle seed.

    Returns:
        A new list.

    Example:
        >>> len(split_items(list(range(10)), "train"))
        8
    """
    check_split("items", split, NAMES_SPLITS)
    items = list(items)
    random.Random(seed).shuffle(items)
    n1, n2 = int(0.8 * len(items)), int(0.9 * len(items))
    return {"train": items[:n1], "valid": items[n1:n2], "test": items[n2:]}[split]


def load_names(split="train", path=None, data_dir=None, seed=NAMES_SEED):
    """Load the makemore names list (one item per line), shuffled and split 80/10/10.

    Args:
        split: ``"train"`` (25626), ``"valid"`` (3203) or ``"test"`` (3204) for
            the 32,033 names of ``names.txt``.
        path: explicit ``names.txt`` file (any one-item-per-line UTF-8 file) or
            directory holding ``names.txt``.
        data_dir: directory searched for ``names.txt``.
        seed: shuffle seed (42 reproduces the makemore lecture splits).

    Returns:
        list of `str` (stripped lines, blank lines dropped).

    Raises:
        DatasetNotFoundError: file not found.
        ValueError: unknown split or unreadable file.

    Example:
        >>> len(load_names("valid"))  # doctest: +SKIP
        3203
    """
    check_split("names", split, NAMES_SPLITS)
    file, searched = paths.find_file(NAMES_FILE, path=path, data_dir=data_dir)
    if file is None:
        raise paths.DatasetNotFoundError(paths.not_found_message(
            "names", NAMES_FILE, NAMES_FORMAT, searched,
            extra="or use load('embedded_names'), a small list shipped with keras-ar;"))
    items = [line.strip() for line in _read_text(file).splitlines()]
    return split_items([w for w in items if w], split, seed)


def load_embedded_names(split="train", seed=NAMES_SEED):
    """Load the small names list shipped with keras-ar (no file needed), split 80/10/10.

    Args:
        split: ``"train"``, ``"valid"`` or ``"test"``.
        seed: shuffle seed.

    Returns:
        list of lower-case `str`.

    Example:
        >>> len(load_embedded_names("test")) > 10
        True
    """
    from keras_ar.datasets.embedded_names import NAMES

    check_split("embedded_names", split, NAMES_SPLITS)
    return split_items(NAMES, split, seed)
