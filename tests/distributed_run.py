"""Trains a small NADE for a few steps, optionally data-parallel on 2 CPU devices.

Run as a script (devices must be configured before the backend starts):
    python distributed_run.py STRATEGY OUT.npz
Prints nothing on success; writes the final weights and the loss history.
"""

import os
import sys

strategy_name, out_path = sys.argv[1], sys.argv[2]
backend = os.environ.get("KERAS_BACKEND", "tensorflow")
if backend == "jax":
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"

import numpy as np  # noqa: E402

if backend == "tensorflow":
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )

import keras  # noqa: E402

import keras_ar as ka  # noqa: E402
from keras_ar.distribute import strategy_scope  # noqa: E402

rng = np.random.default_rng(0)
x = (rng.uniform(size=(64, 12)) < 0.3).astype("float32")
initial = [rng.normal(0, 0.1, size=s).astype("float32") for s in [(12, 8), (8,), (12, 8), (12,)]]

with strategy_scope(strategy_name):
    model = ka.NADE(12, hidden_units=8)
    model.ensure_built()
    model.set_weights(initial)
    model.compile(optimizer=keras.optimizers.SGD(0.5))
history = model.fit(x, epochs=3, batch_size=16, shuffle=False, verbose=0)
np.savez(out_path, loss=np.array(history.history["loss"]),
         **{f"w{i}": w for i, w in enumerate(model.get_weights())})
