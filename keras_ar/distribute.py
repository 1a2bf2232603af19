"""Data-parallel training through the engines Keras already has.

`strategy_scope("mirrored" | "multi_worker" | "data_parallel" | None)` returns the context
in which to build and compile a model: `tf.distribute.MirroredStrategy` /
`MultiWorkerMirroredStrategy` on TensorFlow (multi-worker reads `TF_CONFIG`),
`keras.distribution.DataParallel` on JAX. The TensorFlow calls live in
`keras_ar.backend.tensorflow`.
"""

import contextlib

import keras

from keras_ar import backend

STRATEGIES = ("none", "mirrored", "multi_worker", "data_parallel")


def _tensorflow():
    """`keras_ar.backend.tensorflow` on the TensorFlow backend, else None."""
    return backend.current() if keras.backend.backend() == "tensorflow" else None


def num_replicas():
    """Replicas the current tf.distribute strategy splits a global batch over (1 elsewhere)."""
    tf_backend = _tensorflow()
    return tf_backend.num_replicas() if tf_backend else 1


def scale_loss(loss):
    """Per-replica loss, so that summed replica gradients are those of the global mean."""
    replicas = num_replicas()
    return loss if replicas == 1 else loss * (1.0 / replicas)


def creation_scope(model):
    """The `tf.distribute` scope `model` was created in, to build its weights there.

    Keras records the strategy of the scope a model is created in; weights built later
    (lazily, e.g. by `fit` outside the scope: the Keras tutorial's pattern) must be
    created under that strategy too, or its optimizer update fails. A null context when
    there is no such strategy or one is already active, and on other backends.
    """
    strategy, tf_backend = getattr(model, "_distribute_strategy", None), _tensorflow()
    if strategy is None or tf_backend is None:
        return contextlib.nullcontext()
    return tf_backend.creation_scope(strategy)


def reducible_logs(model, logs):
    """`train_step`/`test_step` logs that Keras can average over workers.

    Keras 3 (<= 3.15) averages every log of a `MultiWorkerMirroredStrategy` step with
    `strategy.reduce("MEAN", value, axis=0)`, which fails on scalars ("Invalid
    reduction dimension 0"); a leading axis of size 1 makes the same mean valid.
    Unchanged elsewhere.
    """
    strategy, tf_backend = getattr(model, "_distribute_strategy", None), _tensorflow()
    if strategy is None or tf_backend is None or not tf_backend.is_multi_worker(strategy):
        return logs
    return {name: keras.ops.reshape(value, (1,)) for name, value in logs.items()}


def strategy_scope(name=None):
    """Context manager for building/compiling/fitting under a data-parallel strategy."""
    if name in (None, "none"):
        return contextlib.nullcontext()
    backend = keras.backend.backend()
    if name in ("mirrored", "multi_worker"):
        if backend != "tensorflow":
            raise ValueError(f"--strategy {name} needs KERAS_BACKEND=tensorflow, not {backend}.")
        return _tensorflow().make_strategy(name).scope()
    if name == "data_parallel":
        if backend != "jax":
            raise ValueError(
                "--strategy data_parallel uses keras.distribution (KERAS_BACKEND=jax); "
                "on TensorFlow use 'mirrored'."
            )
        keras.distribution.set_distribution(keras.distribution.DataParallel())
        return contextlib.nullcontext()
    raise ValueError(f"Unknown strategy {name!r}; choose from {STRATEGIES}.")
