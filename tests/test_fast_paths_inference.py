"""The compiled fast paths for scoring and sampling equal the plain formulations they
replace.

- `log_prob`: the running-sum models' loop, in short loops and in any chunking of the
  batch, gives the vectorized pass's log p;
- sampling: `model.sample`'s compiled loop gives exactly the values of the reference
  step loop (`Sampler.run`) for the same noise, with and without observed values, and
  sees weights changed after it ran;
- a sigmoid NADE's products of exp(-a) within windows of positions (in `log_prob`,
  training and sampling) equal the direct computation;
- `backend.uniform` draws Keras' own uniform numbers, and stays uniform under XLA.
"""

import keras
import numpy as np
import pytest

import keras_ar as ka
from keras_ar import backend, samplers
from keras_ar.conditional import given_sampler
from keras_ar.models.inputs import prepare_given

from fast_path_helpers import RUNNING_SUM, loss_and_gradients, needs_fast_paths
from model_zoo import IMAGE_MODELS, REVERSED, make, random_inputs


@needs_fast_paths
@pytest.mark.parametrize("name", RUNNING_SUM)
def test_log_prob_is_the_loop_and_equals_the_vectorized_pass(name):
    model = make(name, input_dim=37, ordering=list(np.random.default_rng(0).permutation(37)))
    x = random_inputs(model, batch_size=5)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model.log_prob(x)),
        keras.ops.convert_to_numpy(model(x, training=False)),
        rtol=1e-5, atol=1e-4,
    )


@needs_fast_paths
@pytest.mark.parametrize("name", IMAGE_MODELS)
@pytest.mark.parametrize("conditional", [False, True])
def test_compiled_sample_equals_the_reference_step_loop(name, conditional):
    model = make(name, ordering=REVERSED, seed=5)
    noise = np.random.default_rng(1).random((8, 5, model.distribution.noise_size)).astype("float32")
    given = observed = None
    if conditional:
        given = random_inputs(model, batch_size=8, seed=3)
        observed = np.zeros_like(given, dtype=bool)
        observed[:, [0, 3]] = True
    fast = model.sample(noise=noise, given=given, observed=observed, temperature=0.8)
    sampler = samplers.RandomSampler(0.8)
    if given is not None:
        given, observed = prepare_given(model, given, observed, 8, 5)
        # the reference loop `sample` must match: exact for order-agnostic models
        sampler = given_sampler(model, sampler, observed)
    reference = model.to_data_order(
        sampler.run(model, keras.ops.convert_to_tensor(noise), given=given, observed=observed)
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(fast), keras.ops.convert_to_numpy(reference), atol=1e-5
    )


@needs_fast_paths
@pytest.mark.parametrize("name", ["nade", "rnade"])
def test_compiled_functions_see_new_weights(name):
    model = make(name, seed=1)
    x = random_inputs(model, batch_size=4)
    noise = np.random.default_rng(1).random((4, 5, model.distribution.noise_size)).astype("float32")
    before = keras.ops.convert_to_numpy(model.log_prob(x)), keras.ops.convert_to_numpy(model.sample(noise=noise))
    model.set_weights(make(name, seed=2).get_weights())
    after_log_prob = keras.ops.convert_to_numpy(model.log_prob(x))
    np.testing.assert_allclose(after_log_prob, keras.ops.convert_to_numpy(model(x)), rtol=1e-5, atol=1e-5)
    assert not np.allclose(after_log_prob, before[0])
    reference = samplers.RandomSampler().run(model, keras.ops.convert_to_tensor(noise))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model.sample(noise=noise)),
        keras.ops.convert_to_numpy(model.to_data_order(reference)), atol=1e-5,
    )


@needs_fast_paths
@pytest.mark.parametrize("batch_size", [1, 37, 130])
def test_log_prob_in_short_loops_is_exact(batch_size):
    """`log_prob` cuts each core's rows into loops whose running sum holds at most
    `_INFERENCE_LOOP_FLOATS` floats (ReLU NADE: on every backend). With 4,000 units
    that is 8 rows per loop: 37 rows are 3 loops per core, written out; 130 are 9,
    run by one `ops.map` loop. Every row keeps the vectorized pass's log p."""
    model = ka.NADE(6, hidden_units=4000, activation="relu", ordering=[5, 0, 3, 1, 4, 2])
    model.ensure_built()
    rng = np.random.default_rng(3)
    for weight in (model.input_weights, model.output_weights):
        weight.assign(rng.normal(0.0, 0.05, weight.shape).astype("float32"))
    x = (rng.random((batch_size, 6)) < 0.4).astype("float32")
    got = keras.ops.convert_to_numpy(model.log_prob(x))
    want = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)
    assert batch_size == 1 or np.ptp(want) > 1e-3


def _sigmoid_nade_with_a_steep_window(steep, n=40):
    """A sigmoid NADE (64 units, the fewest that use products) over n = 40 positions
    (windows of 16: 0-15, 16-31, 32-39); with
    `steep`, the input weights of positions 16..31 are scaled so that |a| + sum |W|
    exceeds the bound of the product form there, and only there."""
    model = ka.NADE(n, hidden_units=64)
    model.ensure_built()
    rng = np.random.default_rng(4)
    weights = rng.normal(0.0, 1.5, (n, 64)).astype("float32")
    if steep:
        weights[16:32] *= 12.0
    model.input_weights.assign(weights)
    model.output_weights.assign(rng.normal(0.0, 0.3, (n, 64)).astype("float32"))
    return model, weights


def _window_bounds(model, weights, x):
    """max over rows and units of |a at the window's start| + sum over the window of |W|."""
    a = np.concatenate([np.zeros((len(x), 1, 64)), np.cumsum(x[:, :, None] * weights, axis=1)], axis=1)
    a += keras.ops.convert_to_numpy(model.hidden_bias)
    return [np.max(np.abs(a[:, s]) + np.abs(weights[s:s + 16]).sum(0)) for s in (0, 16, 32)]


@needs_fast_paths
@pytest.mark.parametrize("steep", [False, True])
def test_sigmoid_products_equal_the_direct_computation(steep):
    """`log_prob` and `sample` of a sigmoid NADE carry exp(-a) as a product inside
    windows of 16 positions where |a| provably stays <= 80, and compute sigmoid(a)
    directly in the others: both equal the vectorized pass and the reference step loop."""
    model, weights = _sigmoid_nade_with_a_steep_window(steep)
    x = (np.random.default_rng(5).random((9, 40)) < 0.5).astype("float32")
    bounds = _window_bounds(model, weights, x)
    assert (bounds[1] > 80.0) == steep and bounds[0] < 80.0, bounds  # both branches run
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model.log_prob(x)),
        keras.ops.convert_to_numpy(model(x, training=False)), rtol=1e-5, atol=1e-4,
    )
    # training: the blocked loop (products forward and backward where bounded) against
    # autodiff of the vectorized pass
    assert model.block_size(9) == 16
    loss, grads = loss_and_gradients(model, x, training=True)
    expected_loss, expected = loss_and_gradients(model, x, training=False)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-5)
    for weight, got, want in zip(model.trainable_weights, grads, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=weight.path)
    # the sampling loop's logits along the path of x equal the vectorized pass's
    state, x_prev, logits = model.sampling_state(model.initial_state(9)), np.zeros(9, "float32"), []
    for i in range(40):
        params, state = model.sampling_step(state, x_prev, keras.ops.convert_to_tensor(i))
        logits.append(keras.ops.convert_to_numpy(params["logits"]))
        x_prev = x[:, i]
    np.testing.assert_allclose(
        np.stack(logits, axis=1), keras.ops.convert_to_numpy(model.conditionals(x)["logits"]),
        rtol=1e-5, atol=1e-4,
    )
    noise = np.random.default_rng(6).random((9, 40, 1)).astype("float32")
    reference = samplers.RandomSampler().run(model, keras.ops.convert_to_tensor(noise))
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(model.sample(noise=noise)), keras.ops.convert_to_numpy(reference)
    )


@needs_fast_paths
@pytest.mark.parametrize("steep", [False, True])
def test_sampling_in_blocks_of_products_draws_what_the_step_loop_draws(steep):
    """A sigmoid NADE samples 16 steps per loop iteration with exp(-a) carried as a
    product (or sigmoid(a) in a block whose |a| could pass 80) and a rebuilt once per
    block: the same values as the reference step loop for the same noise, also at a
    temperature and with observed values, and loops of at most 64 rows."""
    model, weights = _sigmoid_nade_with_a_steep_window(steep, n=48)
    assert model.sampling_block_size(48) == 16 and model.sampling_loop_rows() == 64
    rng = np.random.default_rng(7)
    noise = rng.random((300, 48, 1)).astype("float32")  # 300 rows: 3 loops per lane
    bounds = _window_bounds(model, weights, (noise[:, :, 0] < 0.5).astype("float32"))
    assert (bounds[1] > 80.0) == steep and bounds[0] < 80.0, bounds  # both kinds of block
    given = (rng.random((300, 48)) < 0.5).astype("float32")
    observed = rng.random((300, 48)) < 0.3
    for temperature, kept in ((1.0, None), (0.7, None), (1.0, observed)):
        sampler = samplers.RandomSampler(temperature)
        reference = sampler.run(model, keras.ops.convert_to_tensor(noise),
                                given=None if kept is None else given, observed=kept)
        drawn = model.sample(noise=noise, temperature=temperature,
                             given=None if kept is None else given, observed=kept)
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(drawn), keras.ops.convert_to_numpy(reference))
        assert 0.2 < float(np.mean(keras.ops.convert_to_numpy(drawn))) < 0.8  # values, not a constant


def test_backend_uniform_is_keras_uniform_and_stays_uniform_under_xla():
    """`backend.uniform` draws Keras' own numbers (outside XLA), advances a
    `SeedGenerator` once per call, and under TensorFlow's XLA still draws U[0, 1)
    (Kolmogorov-Smirnov on 100,000 values, a fresh stream per call)."""
    from scipy import stats

    to_numpy = keras.ops.convert_to_numpy
    np.testing.assert_array_equal(to_numpy(backend.uniform((3, 5), seed=7)),
                                  to_numpy(keras.random.uniform((3, 5), seed=7)))
    ours, theirs = keras.random.SeedGenerator(3), keras.random.SeedGenerator(3)
    draws = [to_numpy(backend.uniform((2, 4), seed=ours)) for _ in range(2)]
    for drawn in draws:
        np.testing.assert_array_equal(drawn, to_numpy(keras.random.uniform((2, 4), seed=theirs)))
    assert not np.array_equal(draws[0], draws[1])
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        generator = keras.random.SeedGenerator(5)
        compiled = tf.function(lambda: backend.uniform((100, 1000), seed=generator), jit_compile=True)
        first, second = to_numpy(compiled()), to_numpy(compiled())
        assert not np.array_equal(first, second)
        for values in (first, second):
            assert values.min() >= 0.0 and values.max() < 1.0
            assert stats.kstest(values.ravel(), "uniform").pvalue > 1e-4


@pytest.mark.parametrize("name", IMAGE_MODELS)
def test_log_prob_is_the_same_in_any_chunking(name):
    """`log_prob(x, batch_size=B)` cuts host data into chunks of B rows (groups of
    `CHUNKS_PER_CALL` per compiled call where one XLA computation scores them, then
    single chunks): every row gets the log p of one whole-batch call."""
    model = make(name, seed=2)
    x = random_inputs(model, batch_size=53, seed=4)
    whole = keras.ops.convert_to_numpy(model.log_prob(x, batch_size=1000))
    for batch_size in (3, 6, 7):  # 2 groups of 8 chunks + rest; 1 group + rest; no group
        chunked = keras.ops.convert_to_numpy(model.log_prob(x, batch_size=batch_size))
        np.testing.assert_allclose(chunked, whole, rtol=1e-5, atol=1e-4, err_msg=str(batch_size))
    assert np.ptp(whole) > 1e-3
