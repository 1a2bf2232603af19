"""Loading `.keras` files safely: Keras safe mode, clear errors for damaged files."""

import contextlib
import json
import os
import zipfile

import keras
import numpy as np

_WEIGHT_FILES = ("model.weights.h5", "model.weights.npz")


def load_model(path, compile=True):
    """Loads a keras-ar model from a `.keras` file, in Keras safe mode.

    Safe mode refuses to deserialize Python code (lambdas and other bytecode), so a
    hostile file cannot run code; this holds even after
    `keras.config.enable_unsafe_deserialization()`. A truncated or corrupt file raises
    a ValueError naming the file and the damaged part, before Keras sees it; a file
    with NaN/inf weights (a diverged run) is refused too.

    Args:
        path: the `.keras` file.
        compile: passed to `keras.saving.load_model`.

    Returns:
        The `keras_ar.models.AutoregressiveModel`.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a `.keras` file, damaged, unsafe, or not a keras-ar model.
    """
    import keras_ar.models  # noqa: F401  (registers every model class)
    import keras_ar.training.schedule  # noqa: F401  (and the learning-rate schedules of compiled models)
    from keras_ar.models.autoregressive_model import AutoregressiveModel

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No model file at {path!r}.")
    if os.path.isdir(path):
        raise ValueError(
            f"{path!r} is a directory; give the .keras file inside it (e.g. best.keras)."
        )
    if not path.endswith(".keras"):
        raise ValueError(
            f"{path!r}: expected a Keras 3 `.keras` file (legacy .h5 and SavedModel "
            "directories are not supported)."
        )
    _check_archive(path)
    try:
        # `safe_mode=True` alone is overridden by a global
        # keras.config.enable_unsafe_deserialization(); the scope is not
        with _force_safe_mode():
            model = keras.saving.load_model(path, compile=compile, safe_mode=True)
    except Exception as error:  # Keras raises ValueError, TypeError, OSError, KeyError...
        reason = " ".join(str(error).split())[:400] or type(error).__name__
        if "safe_mode" in str(error) or "unsafe" in str(error).lower():
            raise ValueError(
                f"Refused to load {path!r}: it contains Python code that safe mode does "
                f"not execute ({reason}). Only load such files from a trusted source, "
                "with keras.saving.load_model(path, safe_mode=False)."
            ) from error
        raise ValueError(
            f"Could not load {path!r}: the file is corrupt or was not written by this "
            f"version of keras-ar ({type(error).__name__}: {reason})."
        ) from error
    if not isinstance(model, AutoregressiveModel):
        raise ValueError(
            f"{path!r} holds a {type(model).__name__}, not a keras-ar model; use "
            "keras.saving.load_model for other models."
        )
    bad = [w.path for w in model.weights if not np.all(np.isfinite(keras.ops.convert_to_numpy(w)))]
    if bad:
        raise ValueError(
            f"{path!r} has NaN or inf weights ({bad[:3]}): the model it holds diverged. "
            "Retrain with a lower learning rate or use an earlier checkpoint."
        )
    return model


def _force_safe_mode():
    try:
        from keras.src.saving.serialization_lib import SafeModeScope
    except ImportError:  # pragma: no cover - future Keras layouts
        return contextlib.nullcontext()
    return SafeModeScope(True)


def _check_archive(path):
    """Zip structure, CRCs, config.json and a weights file, with file-naming errors."""
    if not zipfile.is_zipfile(path):
        size = os.path.getsize(path)
        raise ValueError(
            f"{path!r} is not a valid .keras (zip) archive ({size} bytes): it is "
            "truncated or corrupt. Save the model again or restore it from a backup."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            damaged = archive.testzip()
            if damaged is not None:
                raise ValueError(
                    f"{path!r} is corrupt: member {damaged!r} fails its CRC check."
                )
            if "config.json" not in names:
                raise ValueError(f"{path!r} has no config.json (members: {names}).")
            if not any(name in names for name in _WEIGHT_FILES):
                raise ValueError(f"{path!r} has no weights file (members: {names}).")
            try:
                config = json.loads(archive.read("config.json").decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise ValueError(
                    f"{path!r}: config.json is not valid JSON (truncated or corrupt): {error}."
                ) from None
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as error:
        raise ValueError(f"{path!r} is a truncated or corrupt archive: {error}.") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"{path!r}: config.json does not describe a Keras object.")
