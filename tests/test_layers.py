import keras
import numpy as np
import pytest

from keras_ar.layers import MaskedDense
from keras_ar.layers.running_sum import exclusive_cumsum


def test_masked_dense_masks_kernel_and_gradients_and_round_trips():
    mask = np.triu(np.ones((3, 3)), k=1)
    layer = MaskedDense(3, mask=mask, kernel_initializer="ones")
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), x @ mask)
    config = layer.get_config()
    clone = MaskedDense.from_config(config)
    clone.build((None, 3))
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x), layer(x))
    with pytest.raises(ValueError):
        MaskedDense(0)


def test_exclusive_cumsum():
    e = np.arange(12, dtype="float32").reshape(1, 4, 3)
    expected = np.concatenate([np.zeros((1, 1, 3)), np.cumsum(e, 1)[:, :-1]], 1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(exclusive_cumsum(e)), expected)
