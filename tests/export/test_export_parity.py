"""The exported signatures compute what Keras computes, for every model kind and runtime."""

import numpy as np
import pytest
from export_helpers import (
    BACKENDS,
    EXPORTED_MODELS,
    IMAGE_EXPORTS,
    TEMPERATURE,
    initial_noise_for,
    keras_sample,
    make_noise,
    to_numpy,
)
from keras import ops

from keras_ar.export import load

from model_zoo import random_inputs

STEP_ATOL = 1e-5


def assert_same_values(model, actual, expected):
    """Discrete samples must be identical; real ones (RNADE) equal to float precision."""
    if model.input_kind == "real":
        np.testing.assert_allclose(actual, expected, atol=STEP_ATOL, rtol=1e-5)
    else:
        np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", EXPORTED_MODELS)
def test_step_matches_keras_over_a_sampling_run(exported, name, backend):
    """Every output of every step equals Keras' `step` (+ head) within 1e-5; the
    sequence the runner's loop draws equals `model.sample` with the same noise."""
    ex = exported(name)
    model, runner = ex.model, load(ex.directory, backend=backend)
    distribution = model.distribution
    noise = make_noise(model)  # (1, length, noise_size)
    initial_noise = initial_noise_for(model)

    keras_state = model.initial_state(1, noise=initial_noise)
    state = runner.initial_state(initial_noise)
    assert list(state) == list(keras_state)
    for key in state:
        np.testing.assert_allclose(state[key], to_numpy(keras_state[key]), atol=STEP_ATOL)

    x_prev = np.zeros((1,), distribution.value_dtype)
    drawn = []
    for i in range(noise.shape[1]):
        out = runner.step(state, x_prev, noise[0, i], TEMPERATURE)
        params, keras_state = model.step(keras_state, ops.convert_to_tensor(x_prev))
        expected = {f"new_{k}": v for k, v in keras_state.items()}
        expected["sample"] = distribution.sample(params, noise[:, i], TEMPERATURE)
        expected.update(distribution.export_outputs(params, TEMPERATURE))
        assert sorted(out) == sorted(expected)
        for key, value in expected.items():
            value = to_numpy(value)
            assert out[key].shape == value.shape, key
            if key == "sample":
                assert_same_values(model, out[key].astype(value.dtype), value)
            else:
                np.testing.assert_allclose(out[key], value, atol=STEP_ATOL, rtol=1e-5, err_msg=key)
        # both sides continue from the runner's value (identical, as just checked)
        x_prev = out["sample"].astype(distribution.value_dtype)
        state = {k: out[f"new_{k}"] for k in state}
        drawn.append(x_prev[0])

    sampled = runner.sample(noise[0], temperature=TEMPERATURE, initial_noise=initial_noise)
    expected = keras_sample(model, noise, initial_noise=initial_noise)[0]
    assert_same_values(model, sampled, expected)
    in_step_order = expected if model.input_dim is None else expected[model.ordering]
    assert_same_values(model, np.asarray(drawn), in_step_order)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", EXPORTED_MODELS)
def test_runner_sample_matches_model_sample(exported, name, backend):
    """The app's loop with default start equals `model.sample(noise=...)` at T=1 and T=0.8."""
    ex = exported(name)
    runner = load(ex.directory, backend=backend)
    for seed, temperature in ((2, 1.0), (3, TEMPERATURE)):
        noise = make_noise(ex.model, seed=seed)
        expected = keras_sample(ex.model, noise, temperature)[0]
        assert_same_values(ex.model, runner.sample(noise[0], temperature=temperature), expected)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", EXPORTED_MODELS)
def test_log_prob_signature_matches_keras(exported, name, backend):
    ex = exported(name)
    model = ex.model
    x = random_inputs(model, batch_size=5, seed=4)
    if model.input_kind == "tokens":
        x[0, 3:] = -1  # right padding scores 0
    expected = to_numpy(model.log_prob(x))
    actual = load(ex.directory, backend=backend).log_prob(x)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", IMAGE_EXPORTS)
def test_fused_sample_signature_matches_model_sample(exported, name, backend):
    """The `sample` signature (the whole loop in one call) equals `model.sample`."""
    ex = exported(name)
    runner = load(ex.directory, backend=backend)
    assert runner.has_sample_signature
    noise = make_noise(ex.model, seed=5)
    expected = keras_sample(ex.model, noise)[0]
    assert_same_values(ex.model, runner.sample_fused(noise[0], temperature=TEMPERATURE), expected)
    initial_noise = initial_noise_for(ex.model)
    if initial_noise is not None:  # MADE ensemble: the mask comes from `initial_noise`
        expected = keras_sample(ex.model, noise, initial_noise=initial_noise)[0]
        actual = runner.sample_fused(noise[0], TEMPERATURE, initial_noise=initial_noise)
        assert_same_values(ex.model, actual, expected)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["nade", "categorical_nade", "char_rnn"])
def test_conditional_sampling_matches_model_sample(exported, name, backend):
    """given/observed (inpainting, prompts) in the runner's loop equal Keras'."""
    ex = exported(name)
    model = ex.model
    noise = make_noise(model, seed=6)
    length = noise.shape[1]
    rng = np.random.default_rng(7)
    if model.input_kind == "tokens":
        given = np.zeros(length, "float32")
        given[:3] = [1, 2, 3]
        observed = np.arange(length) < 3  # a prompt of 3 tokens
    else:
        given = random_inputs(model, batch_size=1, seed=8)[0].astype("float32")
        observed = rng.random(length) < 0.5
    expected = keras_sample(model, noise, given=given[None], observed=observed[None])[0]
    actual = load(ex.directory, backend=backend).sample(
        noise[0], given=given, observed=observed, temperature=TEMPERATURE
    )
    assert_same_values(model, actual, expected)
    np.testing.assert_array_equal(actual[observed], given[observed].astype(actual.dtype))
