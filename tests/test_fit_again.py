"""`fit` can be called again on the same model and optimizer, including with a moving
average of the weights (`use_ema`), after which Keras sets each weight to its average.

On JAX that assignment left a weight and its average sharing one array, and the next
`fit` failed ("Attempt to donate the same buffer twice") with the weights lost."""

import keras
import numpy as np
import pytest

from model_zoo import ALL_MODELS, make, random_inputs


@pytest.mark.parametrize("name", ALL_MODELS)
def test_fit_twice_with_a_moving_average_of_the_weights(name):
    model = make(name)
    x = random_inputs(model, batch_size=32, length=6, seed=1)
    optimizer = keras.optimizers.Adam(0.01, use_ema=True, ema_momentum=0.5)
    model.compile(optimizer=optimizer)
    snapshots = []
    for _ in range(2):
        history = model.fit(x, epochs=2, batch_size=8, verbose=0)
        assert np.all(np.isfinite(history.history["loss"]))
        weights = [keras.ops.convert_to_numpy(v) for v in model.trainable_variables]
        averages = [keras.ops.convert_to_numpy(v) for v in optimizer._model_variables_moving_average]
        for weight, average in zip(weights, averages):
            np.testing.assert_array_equal(weight, average)  # fit ends on the average
        snapshots.append(weights)
    assert any(not np.array_equal(a, b) for a, b in zip(*snapshots))  # the second fit trained
    log_p = keras.ops.convert_to_numpy(model.log_prob(x))
    assert np.all(np.isfinite(log_p))


def test_a_second_fit_reuses_the_compiled_step():
    """On JAX with one CPU device per core, the training step is compiled in the first
    `fit` only (it was compiled again in the second, 1.3-1.9 s for NADE-784/500)."""
    if keras.backend.backend() != "jax":
        pytest.skip("JAX compiles per argument placement; other backends once")
    import logging

    import jax

    if len(jax.devices()) < 2:
        pytest.skip("needs XLA_FLAGS=--xla_force_host_platform_device_count=2 (test_backends.py sets it)")
    model = make("nade")
    x = random_inputs(model, batch_size=32, seed=1)
    model.compile(optimizer=keras.optimizers.Adam(0.01, use_ema=True))
    compiled = []
    handler = logging.Handler()
    handler.emit = lambda record: compiled.append(record.getMessage())
    logger = logging.getLogger("jax")
    logger.addHandler(handler)
    try:
        with jax.log_compiles(True):
            model.fit(x, epochs=2, batch_size=8, verbose=0)
            first = sum("train_step" in m and m.startswith("Compiling") for m in compiled)
            model.fit(x, epochs=2, batch_size=8, verbose=0)
            second = sum("train_step" in m and m.startswith("Compiling") for m in compiled) - first
    finally:
        logger.removeHandler(handler)
    assert first >= 1 and second == 0, compiled
    # NADE trains in lanes: its weights live on both devices; MADE trains in one
    # computation on one device (replicated over both, its step ran 0.65x as fast)
    assert all(len(v.value.sharding.device_set) == 2 for v in model.trainable_variables)
    made = make("made")
    made.compile(optimizer=keras.optimizers.Adam(0.01))
    made.fit(x, epochs=1, batch_size=8, verbose=0)
    assert all(len(v.value.sharding.device_set) == 1 for v in made.trainable_variables)
