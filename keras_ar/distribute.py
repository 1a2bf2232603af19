"""Data-parallel training through the engines Keras already has.

`strategy_scope("mirrored" | "multi_worker" | "data_parallel" | None)` returns the context
in which to build and compile a model: `tf.distribute.MirroredStrategy` /
`MultiWorkerMirroredStrategy` on TensorFlow (multi-worker reads `TF_CONFIG`),
`keras.distribution.DataParallel` on JAX. TensorFlow is imported only here.
"""

import contextlib

import keras

STRATEGIES = ("none", "mirrored", "multi_worker", "data_parallel")


def num_replicas():
    """Replicas the current tf.distribute strategy splits a global batch over (1 elsewhere)."""
    if keras.backend.backend() != "tensorflow":
        return 1
    import tensorflow as tf

    return tf.distribute.get_strategy().num_replicas_in_sync


def scale_loss(loss):
    """Per-replica loss, so that summed replica gradients are those of the global mean."""
    replicas = num_replicas()
    return loss if replicas == 1 else loss * (1.0 / replicas)


def strategy_scope(name=None):
    """Context manager for building/compiling/fitting under a data-parallel strategy."""
    if name in (None, "none"):
        return contextlib.nullcontext()
    backend = keras.backend.backend()
    if name in ("mirrored", "multi_worker"):
        if backend != "tensorflow":
            raise ValueError(f"--strategy {name} needs KERAS_BACKEND=tensorflow, not {backend}.")
        import tensorflow as tf

        strategy = (
            tf.distribute.MirroredStrategy()
            if name == "mirrored"
            else tf.distribute.MultiWorkerMirroredStrategy()
        )
        return strategy.scope()
    if name == "data_parallel":
        if backend != "jax":
            raise ValueError(
                "--strategy data_parallel uses keras.distribution (KERAS_BACKEND=jax); "
                "on TensorFlow use 'mirrored'."
            )
        keras.distribution.set_distribution(keras.distribution.DataParallel())
        return contextlib.nullcontext()
    raise ValueError(f"Unknown strategy {name!r}; choose from {STRATEGIES}.")
