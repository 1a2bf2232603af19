import keras
import numpy as np
from keras import ops


def _checked_degrees(value, shape, side):
    """`value` as int32 rows `shape` = (num_masks, size) (one row may come unbatched)."""
    value = np.atleast_2d(np.asarray(value))
    if value.shape != tuple(shape):
        raise ValueError(
            f"{side} degrees of shape {value.shape} do not fit this layer's "
            f"{tuple(shape)} (num_masks, {side} size)."
        )
    return value.astype("int32")


def _constant(value):
    """An initializer returning `value` (int32)."""
    return lambda shape, dtype=None: ops.convert_to_tensor(value, dtype="int32")


@keras.saving.register_keras_serializable(package="keras_ar")
class MaskedDense(keras.layers.Layer):
    """Dense layer with an autoregressive mask from degrees: y = x (W * M) + b,
    M[j, k] = [d_in[j] <= d_out[k]] (strict: d_in[j] < d_out[k]).

    The layer keeps the degrees of its inputs and outputs (MADE's m(k), Germain et al.
    2015), not the mask: M is rebuilt from them inside `call()`, where XLA fuses the
    comparison into the product W * M. Memory is O(num_masks (in + out)) instead of
    O(num_masks in out): MADE 8000x8000 with 32 masks would otherwise carry 8 GB of
    masks (and write them into every saved file). The kernel is never overwritten, so
    masked entries get zero gradient. It may hold several masks (one row of degrees
    each), for MADE ensembles; `call(x, mask_index)` picks one. Degrees are
    non-trainable int32 weights, saved with the model.

    Args:
        units: output size.
        degrees: optional pair `(input_degrees, output_degrees)`, shaped `(in,)` and
            `(out,)`, or `(num_masks, in)` and `(num_masks, out)`; set later with
            `set_degrees` otherwise (until then every degree is 1).
        strict: if True, M = [d_in < d_out]: an output layer, where output i must not
            see input i.
        num_masks: number of masks when `degrees` is not given at construction.
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer:
            as `Dense` (the regularizer sees the unmasked kernel; masked entries get no
            data gradient, so with a zero or L2 penalty they stay where they start).

    Example (output j sees inputs i < j):
    >>> layer = MaskedDense(3, degrees=(np.arange(3), np.arange(3)), strict=True)
    >>> layer(np.ones((2, 3), "float32")).shape
    (2, 3)
    """

    def __init__(
        self,
        units,
        degrees=None,
        strict=False,
        num_masks=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if int(units) <= 0:
            raise ValueError(f"`units` must be a positive integer, got {units}.")
        self.units = int(units)
        self.strict = bool(strict)
        self._initial_degrees = None
        if degrees is not None:
            if len(degrees) != 2:
                raise ValueError("`degrees` must be a pair (input_degrees, output_degrees).")
            d_in, d_out = (np.atleast_2d(np.asarray(d)) for d in degrees)
            if d_in.shape[0] != d_out.shape[0]:
                raise ValueError(
                    f"`degrees` must have one row per mask on both sides; got "
                    f"{d_in.shape[0]} input rows and {d_out.shape[0]} output rows."
                )
            num_masks = d_in.shape[0]
            self._initial_degrees = (d_in, d_out)
        if int(num_masks) <= 0:
            raise ValueError(f"`num_masks` must be a positive integer, got {num_masks}.")
        self.num_masks = int(num_masks)
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape):
        in_dim = input_shape[-1]
        self.kernel = self.add_weight(
            name="kernel",
            shape=(in_dim, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        self.bias = (
            self.add_weight(name="bias", shape=(self.units,), initializer=self.bias_initializer)
            if self.use_bias
            else None
        )
        # the degrees are the weights' initial values, not an assign after them: a model
        # built inside `fit` or `evaluate` builds under a symbolic scope, where an assign
        # is lost (the mask then stayed all ones, or all zeros)
        initial = self._initial_degrees or (None, None)
        shapes = ((self.num_masks, in_dim), (self.num_masks, self.units))
        self.input_degrees, self.output_degrees = (
            self.add_weight(name=f"{side}_degrees", shape=shape, dtype="int32", trainable=False,
                            initializer="ones" if value is None
                            else _constant(_checked_degrees(value, shape, side)))
            for side, value, shape in zip(("input", "output"), initial, shapes)
        )

    def set_degrees(self, input_degrees, output_degrees):
        """Degrees `(num_masks, in)` and `(num_masks, out)` (or one row each, unbatched)."""
        for weight, value, side in ((self.input_degrees, input_degrees, "input"),
                                    (self.output_degrees, output_degrees, "output")):
            weight.assign(_checked_degrees(value, weight.shape, side))

    def kernel_mask(self, mask_index=None):
        """M `(in, out)` of mask `mask_index` (a Python int or a scalar tensor; default 0)."""
        if self.num_masks == 1 or mask_index is None:
            d_in, d_out = self.input_degrees[0], self.output_degrees[0]
        else:
            d_in = ops.take(self.input_degrees, mask_index, axis=0)
            d_out = ops.take(self.output_degrees, mask_index, axis=0)
        d_in, d_out = ops.expand_dims(d_in, 1), ops.expand_dims(d_out, 0)
        allowed = ops.less(d_in, d_out) if self.strict else ops.less_equal(d_in, d_out)
        return ops.cast(allowed, self.compute_dtype)

    def masked_kernel(self, mask_index=None):
        """W * M for mask `mask_index`."""
        return self.kernel * self.kernel_mask(mask_index)

    def call(self, inputs, mask_index=None):
        outputs = ops.matmul(inputs, self.masked_kernel(mask_index))
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            strict=self.strict,
            num_masks=self.num_masks,
            activation=keras.activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            bias_initializer=keras.initializers.serialize(self.bias_initializer),
            kernel_regularizer=keras.regularizers.serialize(self.kernel_regularizer),
        )
        return config
