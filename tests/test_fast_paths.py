"""The compiled fast paths equal the plain formulations they replace.

- training: the running-sum models' blocked loop with its custom gradient (the loss in
  `fit`, `call(training=True)`) gives the same log p and the same gradients as the
  vectorized pass (`call(training=False)`), for every block size and ordering;
- sampling: `model.sample`'s compiled loop gives exactly the values of the reference
  step loop (`Sampler.run`) for the same noise, and sees weights changed after it ran;
- `chunk_size` trains under `jit_compile=True`.
"""

import keras
import numpy as np
import pytest

import keras_ar as ka
from keras_ar import backend, samplers
from keras_ar.conditional import given_sampler
from keras_ar.models.inputs import prepare_given

from model_zoo import IMAGE_MODELS, REVERSED, make, make_chunked, random_inputs

RUNNING_SUM = ["nade", "nade_relu", "categorical_nade", "rnade"]
needs_fast_paths = pytest.mark.skipif(
    not backend.has_fast_paths(), reason="this backend has no compiled fast paths"
)


def loss_and_gradients(model, x, training):
    """Mean NLL and its gradients wrt the trainable weights, on TF or JAX."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = -tf.reduce_mean(model(x, training=training))
        grads = tape.gradient(loss, model.trainable_weights)  # embeddings: IndexedSlices
        return float(loss), [np.asarray(tf.convert_to_tensor(g)) for g in grads]
    import jax

    trainable = [v.value for v in model.trainable_variables]
    frozen = [v.value for v in model.non_trainable_variables]

    def loss_fn(trainable):
        log_prob, _ = model.stateless_call(trainable, frozen, x, training=training)
        return -log_prob.mean()

    loss, grads = jax.value_and_grad(loss_fn)(trainable)
    return float(loss), [np.asarray(g) for g in grads]


@needs_fast_paths
@pytest.mark.parametrize("name", RUNNING_SUM)
@pytest.mark.parametrize("ordering, chunk_size", [(None, None), (REVERSED, 1), (REVERSED, 3)])
def test_training_loop_equals_the_vectorized_pass(name, ordering, chunk_size):
    reference, model = make_chunked(name, chunk_size=chunk_size, ordering=ordering)
    x = random_inputs(reference, batch_size=6, seed=2)
    loss, grads = loss_and_gradients(model, x, training=True)
    expected_loss, expected = loss_and_gradients(reference, x, training=False)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-5, atol=1e-5)
    for weight, got, want in zip(reference.trainable_weights, grads, expected):
        np.testing.assert_allclose(got, want, atol=1e-5, err_msg=weight.path)


@needs_fast_paths
@pytest.mark.parametrize("activation", ["tanh", "linear", "softplus"])
@pytest.mark.parametrize("chunk_size", [1, 3])
def test_nade_written_gradient_equals_autodiff_for_every_activation(activation, chunk_size):
    """NADE writes its block gradient out for sigmoid, relu, tanh and linear; any other
    activation (softplus) falls back to autodiff inside the loop. Both equal the
    vectorized pass."""
    import keras_ar as ka

    reference = ka.NADE(7, hidden_units=5, activation=activation, ordering=[3, 6, 0, 5, 1, 4, 2])
    reference.ensure_built()
    for weight in reference.trainable_weights:
        weight.assign(np.random.default_rng(3).normal(0, 0.7, weight.shape))
    model = ka.NADE.from_config({**reference.get_config(), "chunk_size": chunk_size})
    model.ensure_built()
    model.set_weights(reference.get_weights())
    x = (np.random.default_rng(4).random((6, 7)) < 0.5).astype("float32")
    loss, grads = loss_and_gradients(model, x, training=True)
    expected_loss, expected = loss_and_gradients(reference, x, training=False)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-5, atol=1e-5)
    for weight, got, want in zip(reference.trainable_weights, grads, expected):
        np.testing.assert_allclose(got, want, atol=1e-5, err_msg=weight.path)


def _scaled_block_vjp(model, factor):
    original = model.block_vjp

    def block_vjp(*args):
        start, d_start, d_weights = original(*args)
        return start, d_start * factor, d_weights

    return block_vjp


@needs_fast_paths
@pytest.mark.parametrize("name", ["nade", "rnade"])
def test_the_gradient_check_detects_a_small_error(name):
    """The tolerance is tight enough to see an error of 1e-4 (relative): in NADE's
    written gradient (the running sum's cotangent), or in RNADE's input contributions
    (autodiff)."""
    reference, model = make_chunked(name, chunk_size=2)
    x = random_inputs(reference, batch_size=6, seed=2)
    if name == "nade":
        model.block_vjp = _scaled_block_vjp(model, 1.0001)
    else:
        original = model.input_contributions
        model.input_contributions = lambda x, w: original(x, w) * 1.0001
    _, expected = loss_and_gradients(reference, x, training=False)
    _, grads = loss_and_gradients(model, x, training=True)
    assert any(np.abs(g - e).max() > 1e-5 for g, e in zip(grads, expected))


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


@pytest.mark.parametrize("name", ["nade", "categorical_nade"])
def test_chunk_size_trains_with_jit_compile(name):
    if keras.backend.backend() == "torch":
        # jit_compile means torch.compile there (C++ codegen), not XLA
        pytest.skip("jit_compile on torch is torch.compile, not XLA")
    losses = []
    for jit in (False, True):
        _, model = make_chunked(name, chunk_size=2)
        model.compile(optimizer=keras.optimizers.SGD(0.05), jit_compile=jit)
        x = random_inputs(model, batch_size=8, seed=1)
        losses.append(model.fit(x, epochs=2, batch_size=4, shuffle=False, verbose=0).history["loss"])
        # evaluation (the vectorized, rematerialized pass) compiles too
        model.evaluate(x, batch_size=4, verbose=0)
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-4)


@needs_fast_paths
@pytest.mark.parametrize("batch_size", [1, 130, 1100])
def test_batch_parts_pad_and_drop_rows_exactly(batch_size):
    """The batch is cut into parts (one per core on a CPU; on JAX, also loops of at most
    `loop_rows` = 64 rows: 130 rows are 3 loops per device, written out; 1,100 rows are
    9 or more, run by one `ops.map` loop): a batch that does not divide evenly, or is
    smaller than the number of parts, gives the same log p, gradients and samples as
    the reference formulations."""
    reference, model = make_chunked("nade", chunk_size=1, ordering=REVERSED)
    x = random_inputs(reference, batch_size=batch_size, seed=6)
    loss, grads = loss_and_gradients(model, x, training=True)
    expected_loss, expected = loss_and_gradients(reference, x, training=False)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-5, atol=1e-5)
    for got, want in zip(grads, expected):
        np.testing.assert_allclose(got, want, atol=1e-5)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model.log_prob(x)),
        keras.ops.convert_to_numpy(reference(x, training=False)), rtol=1e-5, atol=1e-4,
    )
    noise = np.random.default_rng(2).random((batch_size, 5, 1)).astype("float32")
    want = samplers.RandomSampler().run(model, keras.ops.convert_to_tensor(noise))
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(model.sample(noise=noise)),
        keras.ops.convert_to_numpy(model.to_data_order(want)),
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


@needs_fast_paths
@pytest.mark.parametrize("training", [True, False])
def test_char_rnn_gru_loop_equals_the_keras_layer(monkeypatch, training):
    """CharRNN's GRU layers run as one input matmul, a lean loop and a written backward
    (`layers/gru_sequence.py`), time major; log p and every gradient equal the Keras
    layer's own, and so does `model.log_prob`, whose loop keeps no residuals."""
    from keras_ar.layers import gru_sequence

    model = make("char_rnn")
    rng = np.random.default_rng(4)
    for weight in model.trainable_weights:  # O(1) gradients: 1e-5 is a relative check
        weight.assign(rng.normal(scale=0.7, size=weight.shape).astype("float32"))
    x = random_inputs(model, batch_size=5, seed=3)
    x[1, 3:] = -1  # right padding
    assert all(gru_sequence.supports(layer) for layer in model.recurrent_layers)
    loss, grads = loss_and_gradients(model, x, training=training)
    inference = keras.ops.convert_to_numpy(model.log_prob(x))
    monkeypatch.setattr(gru_sequence, "supports", lambda layer: False)
    expected_loss, expected = loss_and_gradients(model, x, training=training)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-6)
    np.testing.assert_allclose(inference, keras.ops.convert_to_numpy(model(x)), rtol=1e-6, atol=1e-5)
    for weight, got, want in zip(model.trainable_weights, grads, expected):
        assert np.abs(want).max() > 0.1, weight.path
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=weight.path)


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
