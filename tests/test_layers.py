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


def test_weights_of_the_same_shape_start_different():
    """One shared initializer instance gave NADE's W and V (and RNADE's heads) equal values."""
    import keras_ar as ka

    for model in (ka.NADE(6, 4), ka.CategoricalNADE(6, 3, 4), ka.RNADE(6, 4, 2)):
        model.ensure_built()
        weights = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
        for i, a in enumerate(weights):
            for b in weights[i + 1 :]:
                if a.shape == b.shape and np.abs(a).sum() > 0:
                    assert not np.allclose(a, b), type(model).__name__
