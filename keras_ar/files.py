"""Files written whole or not at all: into a partial file beside the target, then renamed.

A reader (another process, a resumed run, a crash's survivor) sees the old file or the
new one, never half of either; a write that fails leaves the old file and no partial file.
"""

import contextlib
import io
import json
import os
from pathlib import Path

import numpy as np


@contextlib.contextmanager
def _renamed_onto(path, partial):
    """Yields `partial` (its folder made); renames it onto `path` when the block ends
    without an error, removes it otherwise."""
    partial.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield partial
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def replacing(path, mode="wb"):
    """`with replacing(path) as stream:` writes `stream` to `path` when the block ends
    without an error (the folder is made if needed); on an error `path` is untouched."""
    path = Path(path)
    with _renamed_onto(path, path.with_name(path.name + ".partial")) as partial:
        with open(partial, mode) as stream:
            yield stream


def replacing_path(path):
    """`with replacing_path(path) as partial:` a sibling path for a writer that checks the
    file's suffixes (Keras: `.keras`, `.weights.h5`): `best.partial.weights.h5`, renamed
    onto `path` when the block ends without an error, removed otherwise."""
    path = Path(path)
    stem, dot, suffixes = path.name.partition(".")
    return _renamed_onto(path, path.with_name(f"{stem}.partial{dot}{suffixes}"))


def write_bytes(path, data):
    with replacing(path) as stream:
        stream.write(data)


def write_text(path, text):
    with replacing(path, "w") as stream:
        stream.write(text)


def write_json(path, value, indent=2):
    """`value` as JSON (serialized first: a value JSON cannot hold writes nothing)."""
    write_text(path, json.dumps(value, indent=indent) + "\n")


def save_array(path, array):
    """`np.save` to exactly `path` (no ".npy" appended)."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array))
    write_bytes(path, buffer.getvalue())
