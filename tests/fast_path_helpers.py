"""What the fast-path tests share: the running-sum models, the skip mark for a backend
without compiled fast paths, and the loss and gradients of a model on TF or JAX."""

import keras
import numpy as np
import pytest

from keras_ar import backend

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
