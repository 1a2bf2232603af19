"""The compiled fast paths for training equal the plain formulations they replace.

The running-sum models' blocked loop with its custom gradient (the loss in `fit`,
`call(training=True)`) gives the same log p and the same gradients as the vectorized
pass (`call(training=False)`), for every block size, ordering and NADE activation, and
for a batch that does not divide into the parts it is cut into; the gradient check
is tight enough to see a small error; CharRNN's GRU loop equals the Keras layer; and
`chunk_size` trains under `jit_compile=True`.
"""

import keras
import numpy as np
import pytest

from keras_ar import samplers

from fast_path_helpers import RUNNING_SUM, loss_and_gradients, needs_fast_paths
from model_zoo import REVERSED, make, make_chunked, random_inputs


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
