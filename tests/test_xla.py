"""The compiled (XLA, `jit_compile=True`) training path runs and agrees with eager."""

import keras
import numpy as np
import pytest

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
