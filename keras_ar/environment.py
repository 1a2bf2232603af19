"""Date, machine and software versions: the one shape every result file records."""

import datetime
import importlib.metadata
import os
import platform
from pathlib import Path


def environment():
    """A dict: date (UTC, ISO), machine (CPU model, logical CPUs), Python, NumPy, Keras
    and its backend, TensorFlow when importable, keras-ar."""
    import keras
    import numpy as np

    from keras_ar.version import __version__

    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {cpu_name()}, {os.cpu_count()} logical CPUs",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
    }
    tensorflow = _installed_version("tensorflow", "tensorflow-cpu")
    if tensorflow is not None:
        info["tensorflow"] = tensorflow
    info["keras_ar"] = __version__
    return info


def _installed_version(*distributions):
    """The version of the first installed distribution (read from its metadata, without
    importing it: importing TensorFlow under another backend costs seconds), else None."""
    for name in distributions:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def cpu_name():
    """The CPU model name (from /proc/cpuinfo on Linux), else what `platform` says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover
        pass
    return platform.processor() or "unknown CPU"
