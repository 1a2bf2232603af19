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


def test_tanh_form_sigmoid_equals_the_logistic():
    """The hidden units' sigmoid, (1 + tanh(a / 2)) / 2, against the logistic in float64:
    within 2e-7 everywhere (float32 logistic: 1.2e-7), exactly 0 and 1 at the extremes,
    and symmetric: sigmoid(-a) = 1 - sigmoid(a)."""
    from keras_ar.layers import activations

    a = np.concatenate([np.linspace(-40, 40, 20001), [-1e30, -88.0, 88.0, 1e30]]).astype("float32")
    got = keras.ops.convert_to_numpy(activations.sigmoid(a)).astype("float64")
    expected = 1.0 / (1.0 + np.exp(-a.astype("float64")))
    np.testing.assert_allclose(got, expected, rtol=0, atol=2e-7)
    assert got[-4] == 0.0 and got[-1] == 1.0
    np.testing.assert_allclose(got[:20001][::-1], 1.0 - got[:20001], rtol=0, atol=2e-7)
    assert activations.get("sigmoid") is activations.sigmoid
    assert activations.get("relu") is keras.activations.relu
