"""Reliability battery, part 2: numerical stability and the NaN guard.

Log-probabilities (and their gradients) stay finite for extreme logits, outliers far
from every mixture component and tiny scales, because the heads use log-sigmoid /
log-softmax / logsumexp forms with float32-safe clipping (never log of a probability).
Where float64 gives a representable reference, the float32 value must also be right,
not merely finite. Training that diverges stops with an error before anything is saved.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_ar as ka
from keras_ar.distributions import Bernoulli, Categorical, MixtureOfGaussians

from model_zoo import ALL_MODELS, make, random_inputs, randomize

to_np = keras.ops.convert_to_numpy
EXTREME = np.array(
    [-3e38, -1e30, -1e10, -1e4, -100.0, -1.0, 0.0, 1.0, 100.0, 1e4, 1e10, 1e30, 3e38], "float32"
)


def value_and_gradient(fn, *tensors):
    tensors = [tf.convert_to_tensor(t) for t in tensors]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        value = fn(*tensors)
        total = tf.reduce_sum(value)
    return to_np(value), [to_np(g) for g in tape.gradient(total, tensors)]


@pytest.mark.parametrize("x", [0.0, 1.0])
def test_bernoulli_log_prob_exact_and_finite_for_extreme_logits(x):
    values = np.full(EXTREME.shape, x, "float32")
    log_p, (grad,) = value_and_gradient(
        lambda logits: Bernoulli().log_prob({"logits": logits}, values), EXTREME
    )
    logits = EXTREME.astype("float64")
    expected = -np.logaddexp(0.0, -logits) if x == 1.0 else -np.logaddexp(0.0, logits)
    assert np.all(np.isfinite(log_p)) and np.all(log_p <= 0)
    np.testing.assert_allclose(log_p, expected, rtol=1e-6, atol=1e-6)
    assert np.all(np.isfinite(grad))


def test_categorical_log_prob_exact_and_finite_for_extreme_logits():
    rng = np.random.default_rng(0)
    rows = np.stack([rng.permutation(EXTREME[[0, 1, 6, 11, 12]]) for _ in range(6)])
    rows = np.concatenate([rows, [[1e30, -1e30, 0, 5, -5], [1e4, 1e4, -1e4, 0, 1]]]).astype("float32")
    x = rng.integers(0, 5, rows.shape[0])
    log_p, (grad,) = value_and_gradient(
        lambda logits: Categorical(5).log_prob({"logits": logits}, x), rows
    )
    assert np.all(np.isfinite(log_p)) and np.all(log_p <= 0) and np.all(np.isfinite(grad))
    # where float64 is exact (|logits| <= 1e30), float32 agrees
    moderate = np.all(np.abs(rows) <= 1e30, axis=1)
    ref = rows[moderate].astype("float64")
    ref = ref - ref.max(1, keepdims=True)
    ref = ref - np.log(np.exp(ref).sum(1, keepdims=True))
    np.testing.assert_allclose(
        log_p[moderate], ref[np.arange(len(ref)), x[moderate]], rtol=1e-6, atol=1e-5
    )


def test_bernoulli_log_prob_finite_for_infinite_logits():
    """Overflowed (inf) logits are clipped: x * log s(l) + (1 - x) log s(-l) is never 0 * inf."""
    logits = np.array([np.inf, -np.inf, np.inf, -np.inf], "float32")
    log_p = to_np(Bernoulli().log_prob({"logits": logits}, np.array([1.0, 0.0, 0.0, 1.0])))
    assert np.all(np.isfinite(log_p))
    np.testing.assert_allclose(log_p[:2], 0.0, atol=1e-6)
    assert np.all(log_p[2:] < -1e36)


@pytest.mark.parametrize("temperature", [1e-37, 1e-30, 1e-3, 1.0, 1e6])
def test_categorical_probs_never_nan_at_any_temperature(temperature):
    """Probabilities are shifted by the max logit before dividing by T: no inf - inf."""
    logits = np.array([[10.0, 1.0, 0.0], [3e38, -3e38, 0.0], [0.0, 0.0, 1.0]], "float32")
    probs = to_np(Categorical(3).probs({"logits": logits}, temperature))
    assert np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-6)
    if temperature <= 1e-3:
        np.testing.assert_array_equal(probs.argmax(-1), [0, 0, 2])
        assert np.all(probs.max(-1) > 0.99)


def gaussian_reference(x, mean, log_scale):
    z = (x - mean) / np.exp(log_scale)
    return -0.5 * z**2 - log_scale - 0.5 * np.log(2 * np.pi)


@pytest.mark.parametrize("log_scale", [-200.0, -80.0, -20.0, -7.0, 0.0, 5.0])
def test_mixture_log_prob_finite_for_outliers_and_tiny_scales(log_scale):
    xs = np.array([0.0, 1e-3, 1.0, 1e6, 1e15, 1e30, -3e38, 3e38], "float32")
    n = xs.shape[0]
    params = {
        "mixture_logits": np.tile(np.array([[0.0, 1e30, -1e30]], "float32"), (n, 1)),
        "means": np.tile(np.array([[0.0, 1.0, -3e38]], "float32"), (n, 1)),
        "log_scales": np.full((n, 3), log_scale, "float32"),
    }
    head = MixtureOfGaussians(3)
    log_p, grads = value_and_gradient(
        lambda x, logits, means, scales: head.log_prob(
            {"mixture_logits": logits, "means": means, "log_scales": scales}, x
        ),
        xs, params["mixture_logits"], params["means"], params["log_scales"],
    )
    assert np.all(np.isfinite(log_p)), log_p
    for grad in grads:
        assert np.all(np.isfinite(grad))
    # the mixture is (to float precision) the component of mean 1: check it where float64
    # is exact (scales below exp(-80) are floored there, documented in distributions.py)
    expected = gaussian_reference(xs.astype("float64"), 1.0, max(log_scale, -80.0))
    exact = np.abs(expected) < 1e25
    assert exact[2]  # x = 1, the mean, is always exact
    np.testing.assert_allclose(log_p[exact], expected[exact], rtol=1e-5, atol=1e-3)
    # outliers are never more likely than the mean
    assert np.all(log_p <= log_p[2])


@pytest.mark.parametrize("min_scale", [1e-3, 1e-30])
def test_rnade_finite_for_outliers_far_from_every_component(min_scale):
    model = ka.RNADE(5, hidden_units=4, num_components=3, min_scale=min_scale)
    randomize(model, seed=0, scale=0.3)
    # collapse every scale to min_scale (softplus(-1e4) = 0)
    model.head_biases["scales"].assign(np.full((5, 3), -1e4, "float32"))
    x = np.zeros((6, 5), "float32")
    for row, value in enumerate([1e3, 1e10, 1e20, 1e30, -3e38, 3e38]):
        x[row, row % 5] = value
    log_p = to_np(model.log_prob(x))
    assert np.all(np.isfinite(log_p)), log_p
    with tf.GradientTape() as tape:
        loss = -tf.reduce_mean(model(x))
    grads = tape.gradient(loss, model.trainable_weights)
    assert all(np.all(np.isfinite(to_np(g))) for g in grads if g is not None)
    # a point far away is not more likely than the origin (strictly less unless both
    # are beyond the 1e15-sigma clip)
    # (not asserted for min_scale=1e-30: there the origin is itself ~1e15 sigmas from the
    # collapsed components, while an outlier widens the scales of later dimensions)
    if min_scale == 1e-3:
        near = to_np(model.log_prob(np.zeros((1, 5), "float32")))[0]
        assert np.all(log_p < near)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_huge_weights_give_finite_log_probs_and_valid_samples(name):
    """Weights of 1e6 give logits/means of up to ~1e18 through the layers."""
    model = randomize(make(name), seed=1, scale=1e6)
    x = random_inputs(model, batch_size=8)
    log_p = to_np(model.log_prob(x))
    assert np.all(np.isfinite(log_p)), log_p
    if model.input_kind != "real":
        assert np.all(log_p <= 0)
    length = 5 if model.input_kind == "tokens" else None
    if name == "rnade":
        # RNADE samples feed back as inputs; with weights of 1e6 each dimension scales the
        # next by ~1e12 and float32 overflows after a few steps: this must fail loudly
        with pytest.raises(FloatingPointError, match=r"Sampling produced \d+ NaN/inf value"):
            model.sample(4, seed=0)
        return
    samples = to_np(model.sample(4, seed=0, length=length))
    assert np.all(np.isfinite(samples))


@pytest.mark.parametrize("name", ["nade", "made_ensemble", "categorical_nade", "char_rnn"])
def test_near_zero_temperature_is_greedy_and_huge_temperature_stays_valid(name):
    model = make(name)
    length = 6 if model.input_kind == "tokens" else None
    cold = to_np(model.sample(5, seed=2, temperature=1e-30, length=length))
    greedy = to_np(model.sample(5, seed=2, sampler="greedy", length=length))
    if name != "made_ensemble":  # the ensemble's mask is random per sample, not greedy
        np.testing.assert_array_equal(cold, greedy)
    hot = to_np(model.sample(5, seed=2, temperature=1e6, length=length))
    size = getattr(model, "num_categories", None) or getattr(model, "vocab_size", None) or 2
    for values in (cold, hot):
        assert np.all(np.isfinite(values)) and values.min() >= 0 and values.max() < size


# ------------------------------------------------------------------- the NaN guard


@pytest.mark.parametrize(
    "name, learning_rate, loss_word",
    [("rnade", 1e6, "nan"), ("made", 1e30, "nan"), ("fvsbn", 1e38, "inf")],
)
def test_divergent_training_fails_loudly_and_saves_nothing_bad(name, learning_rate, loss_word, tmp_path):
    model = make(name, input_dim=8)
    x = random_inputs(model, batch_size=64)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate))
    # a checkpoint after every batch: it must never see (or write) the diverged weights
    checkpoint = keras.callbacks.ModelCheckpoint(
        str(tmp_path / "ckpt_{epoch}_{batch}.keras"), save_freq=1
    )
    with pytest.raises(FloatingPointError, match=rf"Training diverged: loss is {loss_word} at "
                                                 r"batch \d+\. Lower the learning rate"):
        model.fit(x, epochs=20, batch_size=16, callbacks=[checkpoint], verbose=0)
    for path in sorted(tmp_path.glob("*.keras")):
        loaded = ka.load_model(path)  # refuses NaN weights; these must be finite
        assert all(np.all(np.isfinite(w)) for w in loaded.get_weights())
    if not all(np.all(np.isfinite(w)) for w in model.get_weights()):
        with pytest.raises(ValueError, match=r"Refusing to save .*NaN or inf"):
            model.save(tmp_path / "diverged.keras")
        with pytest.raises(ValueError, match=r"Refusing to save weights"):
            model.save_weights(tmp_path / "diverged.weights.h5")
        assert not (tmp_path / "diverged.keras").exists()


def test_stable_training_is_not_stopped_by_the_guard():
    model = make("nade", input_dim=8)
    x = random_inputs(model, batch_size=32)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(x, epochs=2, batch_size=16, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
