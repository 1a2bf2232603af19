"""The compiled (XLA, `jit_compile=True`) training path runs and agrees with eager."""

import keras
import numpy as np
import pytest

import keras_ar as ka

from model_zoo import ALL_MODELS, make, random_inputs


# DeepNADE's loss draws orderings with keras.random, whose stream differs under XLA
@pytest.mark.parametrize("name", [m for m in ALL_MODELS if m != "deep_nade"])
def test_jit_compiled_fit_matches_non_compiled(name):
    losses = []
    for jit in (False, True):
        model = make(name, seed=3)
        model.compile(optimizer=keras.optimizers.SGD(0.05), jit_compile=jit)
        x = random_inputs(model, batch_size=16, seed=1)
        history = model.fit(x, epochs=2, batch_size=8, shuffle=False, verbose=0)
        losses.append(history.history["loss"])
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-4)
    assert np.all(np.isfinite(losses[1]))


@pytest.mark.parametrize("name", ALL_MODELS)
def test_auto_jit_compile_means_xla_for_models_that_train_faster_with_it(name):
    """On TensorFlow's CPU Keras' "auto" leaves XLA off; DeepNADE and MADE (whose whole
    step XLA runs 1.5-2x faster) turn it on, except eagerly or under tf.distribute."""
    model = make(name, seed=0)
    model.compile(optimizer="adam")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("only TensorFlow's CPU leaves XLA off under 'auto'")
    import tensorflow as tf

    faster = isinstance(model, (ka.DeepNADE, ka.MADE))
    assert model.train_with_xla is faster
    assert model.jit_compile is faster
    model.compile(optimizer="adam", run_eagerly=True)
    assert model.jit_compile is False
    model.compile(optimizer="adam", jit_compile=False)
    assert model.jit_compile is False
    with tf.distribute.OneDeviceStrategy("/cpu:0").scope():
        scoped = make(name, seed=0)
        scoped.compile(optimizer="adam")
    assert scoped.jit_compile is False
