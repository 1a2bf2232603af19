"""The optimizers a run can use: Adam / AdamW with decay on weights only, and Adagrad
as Duchi et al. write it; and the log-mean-exp of ensembles."""

import json

import keras
import numpy as np
import pytest

import keras_ar as ka
from keras_ar.training import TrainConfig, log_mean_exp, optimizer, train


def _apply(kind, gradient_value, **options):
    """One step of `optimizer(kind, 0.1, **options)` on a NADE, every gradient equal to
    `gradient_value`: {variable path: (before, after)}."""
    model = ka.NADE(6, hidden_units=4)
    model.ensure_built()
    rng = np.random.default_rng(0)
    for variable in model.trainable_variables:  # biases start at zero: make decay visible
        variable.assign(rng.normal(size=variable.shape).astype("float32"))
    opt = optimizer(kind, 0.1, **options)
    before = {v.path: keras.ops.convert_to_numpy(v) for v in model.trainable_variables}
    grads = [keras.ops.full(v.shape, gradient_value) for v in model.trainable_variables]
    opt.apply_gradients(zip(grads, model.trainable_variables))
    return {v.path: (before[v.path], keras.ops.convert_to_numpy(v)) for v in model.trainable_variables}


@pytest.mark.parametrize("kind", ["adam", "adagrad"])
def test_weight_decay_shrinks_weights_and_leaves_biases(kind):
    """With zero gradients only the decay moves a variable: w <- (1 - lr wd) w for
    weights, biases unchanged."""
    moved = _apply(kind, 0.0, weight_decay=0.5)
    for path, (before, after) in moved.items():
        expected = before if "bias" in path else before * (1 - 0.1 * 0.5)
        np.testing.assert_allclose(after, expected, rtol=1e-6, atol=1e-7, err_msg=path)
    assert sum("bias" not in path for path in moved) == 2  # input and output weights


def test_adagrad_first_step_is_the_learning_rate():
    """No initial accumulator: the first step is lr * g / sqrt(g^2 + 1e-6), 0.995 lr for
    g = 0.01 (Keras' default accumulator of 0.1 would give 0.03 lr)."""
    for before, after in _apply("adagrad", 0.01).values():
        np.testing.assert_allclose(before - after, 0.1 * 0.01 / np.sqrt(0.01**2 + 1e-6), rtol=1e-4)


def test_optimizer_option_is_checked_and_trains(tmp_path):
    with pytest.raises(ValueError, match="optimizer must be one of"):
        TrainConfig.from_dict({"model": "nade", "data": "digits", "optimizer": "sgd"})
    run = tmp_path / "run"
    results = train({"model": "nade", "data": "digits", "hidden_units": 8, "epochs": 2,
                     "optimizer": "adagrad", "learning_rate": 0.05, "max_train_examples": 200},
                    run, verbose=0)
    history = [row["loss"] for row in json.loads((run / "history.json").read_text())]
    assert history[1] < history[0]
    assert np.isfinite(results["valid"]["nll_nats"])


def test_log_mean_exp_is_the_log_of_the_mean_probability():
    rng = np.random.default_rng(0)
    values = rng.normal(-300.0, 20.0, size=(5, 7))  # exp underflows: the naive form fails
    expected = np.log(np.mean(np.exp(values + 300.0), axis=1)) - 300.0
    np.testing.assert_allclose(log_mean_exp(values, axis=1), expected, rtol=1e-12)
    np.testing.assert_allclose(log_mean_exp(values.T), expected, rtol=1e-12)
    np.testing.assert_allclose(log_mean_exp(np.full((3, 4), -5.0), axis=1), -5.0)
