"""Helpers for tests and benchmarks of keras-ar models."""

import numpy as np


def randomize_weights(model, seed=0, scale=1.0):
    """Every trainable weight drawn i.i.d. from N(0, scale^2), in order, from `seed`.

    Initial weights can make tests pass for the wrong reason (zero biases, equal matrices);
    random ones give a non-trivial model whose outputs still depend only on `seed`.
    Returns the model.
    """
    model.ensure_built()
    rng = np.random.default_rng(seed)
    for weight in model.trainable_weights:
        weight.assign(rng.normal(0.0, scale, size=weight.shape).astype("float32"))
    return model
