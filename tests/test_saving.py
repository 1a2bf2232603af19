"""`.keras` round trip: same config, same log_prob, same samples for the same seed."""

import keras
import numpy as np
import pytest

import keras_ar as ka

from model_zoo import ALL_MODELS, REVERSED, make, random_inputs


@pytest.mark.parametrize("name", ALL_MODELS)
def test_keras_file_round_trip(name, tmp_path):
    ordering = None if name.startswith("char_rnn") else REVERSED
    model = make(name, ordering=ordering)
    x = random_inputs(model)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded.log_prob(x)),
        keras.ops.convert_to_numpy(model.log_prob(x)),
        atol=1e-6,
    )
    length = 5 if model.input_kind == "tokens" else None
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(loaded.sample(4, seed=3, length=length)),
        keras.ops.convert_to_numpy(model.sample(4, seed=3, length=length)),
    )


@pytest.mark.parametrize("name", ["nade", "deep_nade", "char_rnn"])
def test_a_compiled_model_loads_compiled_and_trains_on(name, tmp_path):
    """The optimizer, its step count and moments, and `jit_compile` come back, without
    Keras' "compile() was not called" warning, and training continues."""
    import warnings

    model = make(name)
    model.compile(optimizer=keras.optimizers.Adam(0.003))
    x = random_inputs(model, batch_size=8)
    model.fit(x, batch_size=4, epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = keras.saving.load_model(path)
    assert not [w for w in caught if "compile()` was not called" in str(w.message)]
    assert loaded.compiled and isinstance(loaded.optimizer, keras.optimizers.Adam)
    assert loaded.jit_compile == model.jit_compile
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations) == 2
    for ours, theirs in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(ours), keras.ops.convert_to_numpy(theirs))
    history = loaded.fit(x, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_a_model_trained_with_a_keras_ar_schedule_loads_in_a_fresh_process(tmp_path):
    """`keras_ar.load_model` alone (no `keras_ar.training` import) restores a model whose
    optimizer has the recipes' per-epoch learning-rate decay."""
    import subprocess
    import sys

    from keras_ar.training import FlooredExponentialDecay

    model = make("deep_nade")
    model.compile(optimizer=keras.optimizers.AdamW(FlooredExponentialDecay(0.01, 2, 0.5, 1e-3)))
    model.fit(random_inputs(model, batch_size=8), batch_size=4, epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    code = ("import sys, keras_ar as ka; m = ka.load_model(sys.argv[1]); "
            "print(m.optimizer.get_config()['learning_rate']['class_name'], float(m.optimizer.learning_rate))")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=300,
                         check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    name, rate = out.stdout.split()[-2:]
    assert name == "FlooredExponentialDecay" and float(rate) == pytest.approx(0.005)  # 0.01 * 0.5 ** (2 steps / 2)


def test_vocabulary_survives_saving(tmp_path):
    vocab = ka.Vocabulary.from_text("hello world", oov="unknown")
    model = ka.CharRNN(vocabulary=vocab, units=4, num_layers=1)
    model.ensure_built()
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.vocabulary.tokens == vocab.tokens


def test_a_save_that_fails_midway_keeps_the_old_file(tmp_path, monkeypatch):
    """`save` and `save_weights` (hence ModelCheckpoint's checkpoints) write a sibling
    partial file and rename it: a writer that dies halfway leaves the old file whole."""
    model = make("nade")
    x = random_inputs(model)
    model_path, weights_path = tmp_path / "best.keras", tmp_path / "best.weights.h5"
    model.save(model_path)
    model.save_weights(weights_path)
    expected = keras.ops.convert_to_numpy(model.log_prob(x))
    written = []

    def dies_halfway(self, filepath, *args, **kwargs):
        written.append(str(filepath))
        with open(filepath, "wb") as handle:
            handle.write(b"PK\x03\x04 half a zip")
        raise OSError("No space left on device")

    model.set_weights([w + 1.0 for w in model.get_weights()])
    monkeypatch.setattr(keras.Model, "save", dies_halfway)
    monkeypatch.setattr(keras.Model, "save_weights", dies_halfway)
    for save, path in ((model.save, model_path), (model.save_weights, weights_path)):
        with pytest.raises(OSError, match="No space"):
            save(path)
    assert [p.rsplit("/", 1)[-1] for p in written] == ["best.partial.keras", "best.partial.weights.h5"]
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.keras", "best.weights.h5"]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ka.load_model(model_path).log_prob(x)), expected, atol=1e-6)
    twin = make("nade")
    twin.load_weights(weights_path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(twin.log_prob(x)), expected, atol=1e-6)
