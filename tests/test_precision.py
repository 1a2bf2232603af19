"""keras-ar models compute in float32 under any global dtype policy (keras_ar.precision):
the same log-probabilities as a float32 model with the same weights, a warning once,
and a clear error for a model asked for another policy."""

import warnings

import keras
import numpy as np
import pytest

import keras_ar as ka
from keras_ar import precision

from model_zoo import ALL_MODELS, make, random_inputs


@pytest.fixture
def mixed_policy(request):
    """Keras' global policy set to a mixed one for the test, then restored."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(getattr(request, "param", "mixed_bfloat16"))
    precision._warned.clear()
    yield keras.config.dtype_policy()
    keras.config.set_dtype_policy(previous)
    precision._warned.clear()


@pytest.mark.parametrize("name", ALL_MODELS)
def test_a_mixed_global_policy_leaves_models_in_float32(name, mixed_policy):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = make(name)
    ours = [w for w in caught if "computes in float32" in str(w.message)]
    assert len(ours) == 1, caught
    assert ours[0].filename.endswith("model_zoo.py")  # the line that made the model
    layers = list(model._flatten_layers(include_self=True))
    assert {layer.compute_dtype for layer in layers} == {"float32"}
    # float32 weights (and MADE's / FVSBN's int32 mask degrees), never bfloat16
    assert {v.dtype for v in model.weights if v.trainable} == {"float32"}
    assert {v.dtype for v in model.weights} <= {"float32", "int32"}
    keras.config.set_dtype_policy("float32")
    reference = make(name)  # the same random weights, built under float32
    x = random_inputs(model, batch_size=8)
    mine = keras.ops.convert_to_numpy(model.log_prob(x))
    assert mine.dtype == np.float32
    np.testing.assert_allclose(mine, keras.ops.convert_to_numpy(reference.log_prob(x)), rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("mixed_policy", ["mixed_bfloat16", "mixed_float16"], indirect=True)
def test_training_under_a_mixed_policy_matches_float32(mixed_policy):
    """One epoch of Adam from the same weights gives the same loss and weights."""
    x = np.random.default_rng(0).integers(0, 2, size=(64, 5)).astype("float32")
    results = []
    for policy in (mixed_policy.name, "float32"):
        keras.config.set_dtype_policy(policy)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = make("made")
        model.compile(optimizer=keras.optimizers.Adam(1e-2))
        history = model.fit(x, batch_size=16, epochs=1, shuffle=False, verbose=0)
        results.append((history.history["loss"][-1], model.get_weights()))
    (loss, weights), (reference_loss, reference_weights) = results
    assert loss == pytest.approx(reference_loss, rel=1e-5)
    for mine, theirs in zip(weights, reference_weights):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5)


def test_the_warning_comes_once_per_model_class(mixed_policy):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ka.NADE(5, hidden_units=4)
        ka.NADE(5, hidden_units=4)
        ka.FVSBN(5)
    messages = [str(w.message) for w in caught if "computes in float32" in str(w.message)]
    assert len(messages) == 2 and "'mixed_bfloat16'" in messages[0], messages


def test_no_warning_under_float32():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ka.NADE(5, hidden_units=4)
        ka.NADE(5, hidden_units=4, dtype="float32")


@pytest.mark.parametrize("dtype", ["mixed_bfloat16", "bfloat16", "float16", "float64"])
def test_asking_a_model_for_another_policy_says_why(dtype):
    with pytest.raises(ValueError, match=f"NADE computes in float32, got dtype='{dtype}'"):
        ka.NADE(5, hidden_units=4, dtype=dtype)


def test_an_unknown_dtype_is_named():
    with pytest.raises(ValueError, match="unknown dtype 'floaty'"):
        ka.MADE(5, dtype="floaty")


def test_a_model_saved_under_a_mixed_policy_loads_in_float32(mixed_policy, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make("deep_nade")
        model.save(tmp_path / "m.keras")
        keras.config.set_dtype_policy("float32")
        loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.dtype_policy.name == "float32"
    x = random_inputs(model, batch_size=8)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded.log_prob(x)),
                                  keras.ops.convert_to_numpy(model.log_prob(x)))


def test_export_under_a_mixed_policy_keeps_float32_parity(mixed_policy, tmp_path):
    """TFLite and ONNX of a model made and exported under mixed_bfloat16 match Keras."""
    from keras_ar.export import export_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make("deep_nade")
        report = export_model(model, tmp_path / "export", formats=("tflite", "onnx"))
    for runtime in ("tflite", "onnx"):
        assert report["max_abs_log_prob_diff"][runtime] < 1e-5, report["max_abs_log_prob_diff"]
