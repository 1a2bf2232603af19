"""The memory-bounded (chunked + rematerialized) pass equals the one-shot pass."""

import keras
import numpy as np
import pytest

from model_zoo import REVERSED, make_chunked, random_inputs


@pytest.mark.parametrize("name", ["nade", "categorical_nade", "rnade"])
@pytest.mark.parametrize("chunk_size", [1, 2, 3])
def test_chunked_log_prob_and_gradients_match(name, chunk_size):
    reference, chunked = make_chunked(name, chunk_size=chunk_size, ordering=REVERSED)
    x = random_inputs(reference, batch_size=4)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(chunked.log_prob(x)),
        keras.ops.convert_to_numpy(reference.log_prob(x)),
        atol=1e-5,
    )
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        grads = []
        for model in (reference, chunked):
            with tf.GradientTape() as tape:
                loss = -tf.reduce_mean(model(x))
            grads.append(tape.gradient(loss, model.trainable_weights))
        for a, b in zip(*grads):
            np.testing.assert_allclose(np.asarray(b), np.asarray(a), atol=1e-5)


def test_chunked_model_trains():
    reference, chunked = make_chunked("nade", chunk_size=2)
    chunked.compile(optimizer=keras.optimizers.SGD(0.1))
    x = random_inputs(reference, batch_size=32)
    history = chunked.fit(x, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
