"""Every model is a normalized distribution: exact enumeration or numeric integration."""

import itertools

import keras
import numpy as np
import pytest

import keras_ar as ka

from model_zoo import BINARY_MODELS, make, randomize


def total_probability(model, inputs):
    log_probs = keras.ops.convert_to_numpy(model.log_prob(inputs)).astype("float64")
    return np.exp(log_probs).sum()


@pytest.mark.parametrize("name", BINARY_MODELS)
@pytest.mark.parametrize("ordering", [None, [3, 7, 0, 5, 1, 2, 6, 4]])
def test_binary_models_sum_to_one_over_all_2_to_n_inputs(name, ordering):
    model = make(name, input_dim=8, ordering=ordering)
    inputs = np.array(list(itertools.product([0, 1], repeat=8)), dtype="float32")
    assert abs(total_probability(model, inputs) - 1.0) < 1e-5


def test_categorical_nade_sums_to_one_over_k_to_n_inputs():
    model = make("categorical_nade", input_dim=5, ordering=[2, 0, 4, 1, 3])
    inputs = np.array(list(itertools.product(range(3), repeat=5)), dtype="int32")
    assert abs(total_probability(model, inputs) - 1.0) < 1e-5


def test_rnade_integrates_to_one_in_1d():
    model = make("rnade", input_dim=1)
    grid = np.linspace(-30.0, 30.0, 60001, dtype="float32")[:, None]
    density = np.exp(keras.ops.convert_to_numpy(model.log_prob(grid)).astype("float64"))
    assert abs(np.trapezoid(density, grid[:, 0]) - 1.0) < 1e-4


def test_rnade_integrates_to_one_in_2d():
    model = make("rnade", input_dim=2)
    axis = np.linspace(-15.0, 15.0, 601)
    xx, yy = np.meshgrid(axis, axis, indexing="ij")
    points = np.stack([xx.ravel(), yy.ravel()], -1).astype("float32")
    density = np.exp(keras.ops.convert_to_numpy(model.log_prob(points)).astype("float64"))
    integral = np.trapezoid(np.trapezoid(density.reshape(xx.shape), axis, axis=1), axis)
    assert abs(integral - 1.0) < 1e-3


@pytest.mark.parametrize("name", ["char_rnn", "char_rnn_simple"])
def test_char_rnn_sums_to_one_over_all_sequences_of_a_length(name):
    model = make(name)
    inputs = np.array(list(itertools.product(range(4), repeat=4)), dtype="int32")
    assert abs(total_probability(model, inputs) - 1.0) < 1e-5


def test_char_rnn_sequence_log_prob_is_sum_of_step_log_probs_and_steps_normalize():
    model = make("char_rnn")
    tokens = np.array([[1, 3, 2, 0]], dtype="int32")
    state = model.initial_state(1)
    x_prev = np.zeros((1,), "int32")
    total = 0.0
    for t in range(tokens.shape[1]):
        params, state = model.step(state, x_prev)
        probs = keras.ops.convert_to_numpy(model.distribution.probs(params))
        assert abs(probs.sum() - 1.0) < 1e-6
        total += np.log(probs[0, tokens[0, t]])
        x_prev = tokens[:, t]
    assert abs(float(keras.ops.convert_to_numpy(model.log_prob(tokens))[0]) - total) < 1e-5


def test_padding_scores_zero():
    model = make("char_rnn")
    full = np.array([[1, 2, 0]], "int32")
    padded = np.array([[1, 2, 0, -1, -1]], "int32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model.log_prob(full)),
        keras.ops.convert_to_numpy(model.log_prob(padded)),
        atol=1e-6,
    )


def test_randomize_changes_the_model():
    model = ka.NADE(3, hidden_units=2)
    before = keras.ops.convert_to_numpy(model.log_prob(np.zeros((1, 3), "float32")))
    randomize(model, seed=1)
    assert not np.allclose(
        before, keras.ops.convert_to_numpy(model.log_prob(np.zeros((1, 3), "float32")))
    )
