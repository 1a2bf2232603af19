"""Trains small models for a few steps, single-device or data-parallel, and saves the
final weights (and the loss history) for the equivalence tests.

Run as a script (devices must be configured before the backend starts):
    python distributed_run.py STRATEGY OUT.npz   # NADE; none|mirrored|data_parallel|multi_worker
    python distributed_run.py zoo OUT.npz        # every model kind, the Keras tutorial pattern
`mirrored`/`data_parallel` split the CPU into 2 logical devices; `multi_worker` is one
worker of a `MultiWorkerMirroredStrategy` cluster described by $TF_CONFIG. Every run
trains on the same global batches, so all runs must end with the same weights.
Prints nothing on success.
"""

import os
import sys

strategy_name, out_path = sys.argv[1], sys.argv[2]
backend = os.environ.get("KERAS_BACKEND", "tensorflow")
if backend == "jax":
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"

import numpy as np

if backend == "tensorflow" and strategy_name != "multi_worker":
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )

import keras

import keras_ar as ka
from keras_ar.distribute import strategy_scope


def train_nade():
    """NADE-12/8, 3 epochs of 4 global batches of 16, SGD: the loss and final weights."""
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(64, 12)) < 0.3).astype("float32")
    shapes = [(12, 8), (8,), (12, 8), (12,)]
    initial = [rng.normal(0, 0.1, size=s).astype("float32") for s in shapes]
    with strategy_scope(strategy_name):
        model = ka.NADE(12, hidden_units=8)
        model.ensure_built()
        model.set_weights(initial)
        model.compile(optimizer=keras.optimizers.SGD(0.5))
    history = model.fit(x, epochs=3, batch_size=16, shuffle=False, verbose=0)
    return {"loss": np.array(history.history["loss"]),
            **{f"w{i}": w for i, w in enumerate(model.get_weights())}}


KINDS = ["fvsbn", "nade", "categorical_nade", "rnade", "made_ensemble", "char_rnn"]  # one per class


def train_zoo():
    """Each model kind twice from the same seed: plain, then created and compiled in
    `tf.distribute.MirroredStrategy().scope()`, then evaluated and fitted outside it
    (weights built lazily by evaluate). Keys `<kind>/single/<i>` and `<kind>/mirrored/<i>`."""
    import tensorflow as tf

    from model_zoo import make, random_inputs

    strategy = tf.distribute.MirroredStrategy()  # one per process (collective keys)
    results = {}
    for kind in KINDS:
        reference = make(kind)
        x = random_inputs(reference, batch_size=32, length=6, seed=1)
        for name, scope in (("single", strategy_scope(None)), ("mirrored", strategy.scope())):
            keras.utils.set_random_seed(0)
            with scope:
                model = type(reference).from_config(reference.get_config())
                model.compile(optimizer=keras.optimizers.Adam(0.01))
            # built lazily by the first call outside the scope: evaluate, as a user who
            # scores before training does; then fit
            before = model.evaluate(x, batch_size=8, verbose=0)
            model.fit(x, epochs=2, batch_size=8, shuffle=False, verbose=0)
            results[f"{kind}/{name}/loss_before"] = np.float32(before)
            for i, weight in enumerate(model.get_weights()):
                results[f"{kind}/{name}/{i}"] = weight
    return results


if __name__ == "__main__":
    arrays = train_zoo() if strategy_name == "zoo" else train_nade()
    np.savez(out_path, **arrays)  # multi-worker: each worker writes its own copy
