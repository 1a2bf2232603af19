import keras
import numpy as np
import pytest

from keras_ar.layers import MaskedDense
from keras_ar.layers.running_sum import exclusive_cumsum


def test_masked_dense_masks_kernel_and_gradients_and_round_trips():
    mask = np.triu(np.ones((3, 3)), k=1)  # output k sees inputs j < k
    layer = MaskedDense(3, degrees=(np.arange(3), np.arange(3)), strict=True, kernel_initializer="ones")
    x = np.random.default_rng(0).normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), x @ mask, atol=1e-6)
    config = layer.get_config()
    clone = MaskedDense.from_config(config)
    clone.build((None, 3))
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x), layer(x))
    loose = MaskedDense(3, degrees=(np.arange(3), np.arange(3)), kernel_initializer="ones")
    loose(x)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loose.kernel_mask()), np.triu(np.ones((3, 3))))
    with pytest.raises(ValueError, match="units"):
        MaskedDense(0)
    with pytest.raises(ValueError, match="one row per mask"):
        MaskedDense(3, degrees=(np.ones((2, 3)), np.ones((3, 3))))
    with pytest.raises(ValueError, match="do not fit"):
        layer.set_degrees(np.arange(4), np.arange(3))


def test_masked_dense_builds_each_mask_from_its_degrees_and_picks_it_by_index():
    """Several masks: mask m is [d_in[m, j] <= d_out[m, k]] (strict: <), for a Python or a
    tensor index, equal to `create_masks` of the same degrees, and the matmul uses it."""
    rng = np.random.default_rng(1)
    d_in, d_out = rng.integers(1, 5, size=(3, 6)), rng.integers(1, 5, size=(3, 4))
    for strict in (False, True):
        layer = MaskedDense(4, degrees=(d_in, d_out), strict=strict, use_bias=False)
        x = rng.normal(size=(5, 6)).astype("float32")
        layer(x)
        kernel = keras.ops.convert_to_numpy(layer.kernel)
        for m in range(3):
            expected = (d_in[m][:, None] < d_out[m][None, :]) if strict else (d_in[m][:, None] <= d_out[m][None, :])
            for index in (m, keras.ops.convert_to_tensor(m, "int32")):
                np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.kernel_mask(index)), expected)
            np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x, mask_index=m)),
                                       x @ (kernel * expected), atol=1e-5)
        if not strict:
            assert 0 < expected.sum() < expected.size  # a real mask, not all ones or zeros
    from keras_ar.layers import create_masks

    reference = create_masks([d_in[0], d_out[0]])  # hidden (<=), then output (strict <)
    layer = MaskedDense(4, degrees=(d_in[:1], d_out[:1]))
    layer(x)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.kernel_mask()), reference[0])


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


@pytest.mark.parametrize("name", ["fvsbn", "made"])
def test_masks_survive_a_build_inside_evaluate(name):
    """A model built by its first `evaluate` (a symbolic build, where an assign to a
    weight is lost) keeps its autoregressive masks; they once came out all ones there
    (and, with degrees assigned after the weights, all zeros)."""
    import keras_ar as ka
    from keras_ar.layers import create_masks

    model = ka.FVSBN(6) if name == "fvsbn" else ka.MADE(6, hidden_units=(8,), num_masks=2, seed=3)
    model.compile(optimizer="adam")
    model.evaluate(np.zeros((4, 6), "float32"), verbose=0)
    if name == "fvsbn":
        got = [model.conditional_logits.kernel_mask()]
        want = [np.triu(np.ones((6, 6)), k=1)]  # output k sees inputs j < k
    else:
        got = [layer.kernel_mask(1) for layer in model.hidden_layers + [model.output_layer]]
        want = create_masks(model.mask_degrees(1))
    for mask, expected in zip(got, want):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(mask), expected)
