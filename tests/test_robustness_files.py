"""Reliability battery, part 3: `.keras` files (safe mode, damaged files, NaN models).

`keras_ar.load_model` must load what `model.save` wrote, refuse to run code from a
hostile file (Keras safe mode, even when unsafe deserialization was enabled globally),
and turn every truncated/corrupt file into a ValueError that names the file.
"""

import io
import json
import os
import zipfile

import h5py
import keras
import numpy as np
import pytest

import keras_ar as ka

from model_zoo import make, random_inputs

to_np = keras.ops.convert_to_numpy


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A NADE saved once: (path, model, the file's bytes)."""
    model = make("nade")
    path = tmp_path_factory.mktemp("saved") / "nade.keras"
    model.save(path)
    return path, model, path.read_bytes()


def rezip(source, target, change):
    """Copies the zip `source` to `target`, member by member through `change(name, bytes)`
    (return None to drop a member); CRCs stay valid, only the content changes."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for name in src.namelist():
            data = change(name, src.read(name))
            if data is not None:
                dst.writestr(name, data)
    return target


def edit_config(edit):
    def change(name, data):
        if name != "config.json":
            return data
        config = json.loads(data)
        edit(config)
        return json.dumps(config)

    return change


def test_round_trip_uses_safe_mode_and_keeps_log_probs(saved):
    path, model, _ = saved
    loaded = ka.load_model(path)
    x = random_inputs(model)
    np.testing.assert_allclose(to_np(loaded.log_prob(x)), to_np(model.log_prob(x)), atol=1e-6)
    assert ka.load_model(str(path)).get_config() == model.get_config()


def _truncated(data, tmp):
    return data[: len(data) // 2]


def _flip_byte_inside_weights(data, tmp):
    """Damage a stored byte of the weights member in place (the CRC no longer matches)."""
    raw = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo("model.weights.h5")
    # local header: 30 bytes + name + extra, then the data
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + info.compress_size // 2] ^= 0xFF
    return bytes(raw)


DAMAGED_BYTES = [
    ("truncated-half", _truncated, r"not a valid \.keras \(zip\) archive \(\d+ bytes\): it is truncated"),
    ("truncated-tail", lambda d, t: d[:-10], r"truncated or corrupt"),
    ("empty", lambda d, t: b"", r"not a valid \.keras \(zip\) archive \(0 bytes\)"),
    ("random-bytes", lambda d, t: np.random.default_rng(0).bytes(4096), r"not a valid \.keras"),
    ("crc-mismatch", _flip_byte_inside_weights, r"member 'model\.weights\.h5' fails its CRC check|corrupt"),
]


@pytest.mark.parametrize("damage, pattern", [pytest.param(d, p, id=i) for i, d, p in DAMAGED_BYTES])
def test_damaged_bytes_give_a_clear_error_naming_the_file(saved, tmp_path, damage, pattern):
    path = tmp_path / "damaged.keras"
    path.write_bytes(damage(saved[2], tmp_path))
    with pytest.raises(ValueError) as info:
        ka.load_model(path)
    message = str(info.value)
    assert str(path) in message, message
    assert __import__("re").search(pattern, message), message


def _garbage_weights(name, data):
    return np.random.default_rng(1).bytes(len(data)) if name.endswith(".h5") else data


def _half_weights(name, data):
    return data[: len(data) // 2] if name.endswith(".h5") else data


DAMAGED_MEMBERS = [
    ("config-truncated", lambda n, d: d[: len(d) // 2] if n == "config.json" else d,
     r"config\.json is not valid JSON \(truncated or corrupt\)"),
    ("config-not-object", lambda n, d: b"[1, 2]" if n == "config.json" else d,
     r"config\.json does not describe a Keras object"),
    ("config-missing", lambda n, d: None if n == "config.json" else d, r"has no config\.json"),
    ("weights-missing", lambda n, d: None if n.endswith(".h5") else d, r"has no weights file"),
    ("weights-truncated", _half_weights, r"corrupt.*OSError.*truncated file"),
    ("weights-garbage", _garbage_weights, r"corrupt.*OSError"),
    ("hyper-parameter-invalid", edit_config(lambda c: c["config"].update(hidden_units=-3)),
     r"corrupt.*`hidden_units` must be an integer >= 1, got -3"),
    ("shape-mismatch", edit_config(lambda c: c["config"].update(hidden_units=3)),
     r"corrupt.*could not be loaded"),
    ("unknown-class", edit_config(lambda c: c.update(class_name="NoSuchModel", registered_name="keras_ar>NoSuchModel")),
     r"corrupt.*NoSuchModel"),
]


@pytest.mark.parametrize("change, pattern", [pytest.param(c, p, id=i) for i, c, p in DAMAGED_MEMBERS])
def test_damaged_members_give_a_clear_error_naming_the_file(saved, tmp_path, change, pattern):
    path = rezip(saved[0], tmp_path / "damaged.keras", change)
    with pytest.raises(ValueError) as info:
        ka.load_model(path)
    message = str(info.value)
    assert str(path) in message, message
    assert __import__("re").search(pattern, message, __import__("re").S), message


def test_missing_directory_and_wrong_kind_of_path(saved, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"No model file at .*nothing\.keras"):
        ka.load_model(tmp_path / "nothing.keras")
    with pytest.raises(ValueError, match=r"is a directory; give the \.keras file inside it"):
        ka.load_model(tmp_path)
    legacy = tmp_path / "model.h5"
    legacy.write_bytes(saved[2])
    with pytest.raises(ValueError, match=r"expected a Keras 3 `\.keras` file"):
        ka.load_model(legacy)


@pytest.fixture
def lambda_model_file(tmp_path):
    """A .keras file whose Lambda layer carries Python bytecode that writes a file."""
    marker = tmp_path / "code_ran"
    inputs = keras.Input((3,))
    outputs = keras.layers.Lambda(lambda t: t * 2)(inputs)
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(path)
    return path, marker


def test_python_code_in_a_file_is_refused(lambda_model_file):
    path, _ = lambda_model_file
    with pytest.raises(ValueError, match=r"Refused to load .*lambda\.keras.*safe mode"):
        ka.load_model(path)


def test_safe_mode_holds_even_after_global_unsafe_deserialization(lambda_model_file):
    from keras.src.saving import serialization_lib

    path, _ = lambda_model_file
    before = serialization_lib.in_safe_mode()
    keras.config.enable_unsafe_deserialization()
    try:
        with pytest.raises(ValueError, match=r"Refused to load"):
            ka.load_model(path)
    finally:
        keras.src.backend.common.global_state.set_global_attribute("safe_mode_saving", before)


def test_hostile_config_runs_nothing(saved, tmp_path):
    """A config naming os.system as the class to build: an error, and no command ran."""
    marker = tmp_path / "pwned"
    hostile = edit_config(lambda c: c.update(
        module="os", class_name="system", registered_name=None, config=f"touch {marker}"
    ))
    path = rezip(saved[0], tmp_path / "hostile.keras", hostile)
    with pytest.raises(ValueError, match=r"hostile\.keras"):
        ka.load_model(path)
    assert not marker.exists()
    hostile_activation = edit_config(lambda c: c["config"].update(
        activation={"module": "os", "class_name": "function", "config": "system",
                    "registered_name": None}
    ))
    path = rezip(saved[0], tmp_path / "hostile2.keras", hostile_activation)
    with pytest.raises(ValueError, match=r"hostile2\.keras"):
        ka.load_model(path)


def test_a_plain_keras_model_is_not_a_keras_ar_model(tmp_path):
    inputs = keras.Input((3,))
    path = tmp_path / "dense.keras"
    keras.Model(inputs, keras.layers.Dense(2)(inputs)).save(path)
    with pytest.raises(ValueError, match=r"holds a Functional, not a keras-ar model"):
        ka.load_model(path)


def test_a_file_with_nan_weights_is_refused(saved, tmp_path):
    """`save` refuses NaN weights; a file made some other way is refused on load."""
    def poison(name, data):
        if not name.endswith(".h5"):
            return data
        buffer = io.BytesIO(data)
        with h5py.File(buffer, "r+") as f:
            datasets = []
            f.visititems(lambda key, obj: datasets.append(obj) if isinstance(obj, h5py.Dataset) else None)
            target = datasets[0]
            values = target[...]
            values.flat[0] = np.nan
            target[...] = values
        return buffer.getvalue()

    path = rezip(saved[0], tmp_path / "nan.keras", poison)
    with pytest.raises(ValueError, match=r"nan\.keras' has NaN or inf weights .*diverged"):
        ka.load_model(path)


def test_save_refuses_nan_weights_and_writes_nothing(tmp_path):
    model = make("fvsbn")
    model.trainable_weights[0].assign(np.full(model.trainable_weights[0].shape, np.nan, "float32"))
    with pytest.raises(ValueError, match=r"Refusing to save .*contain NaN or inf"):
        model.save(tmp_path / "nan.keras")
    assert not os.path.exists(tmp_path / "nan.keras")
