import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="keras_ar")
class MaskedDense(keras.layers.Layer):
    """Dense layer with a fixed binary mask on its kernel: y = x (W * M) + b.

    The mask multiplies the kernel inside `call()` (weights are never overwritten),
    so gradients of masked entries are zero. It may hold several masks, `(num_masks,
    in, out)`, for MADE ensembles; `call(x, mask_index)` picks one. Masks are
    non-trainable weights, saved with the model.

    Args:
        units: output size.
        mask: optional array `(in, out)` or `(num_masks, in, out)`; set later with
            `set_mask` otherwise.
        num_masks: number of masks when `mask` is not given at construction.
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer:
            as `Dense` (the regularizer sees the unmasked kernel; masked entries get no
            data gradient, so with a zero or L2 penalty they stay where they start).

    Example:
    >>> layer = MaskedDense(3, mask=np.tril(np.ones((3, 3)), -1).T)
    >>> layer(np.ones((2, 3), "float32")).shape
    (2, 3)
    """

    def __init__(
        self,
        units,
        mask=None,
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
        self._initial_mask = None
        if mask is not None:
            mask = np.asarray(mask, dtype="float32")
            if mask.ndim == 2:
                mask = mask[None]
            num_masks = mask.shape[0]
            self._initial_mask = mask
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
        self.mask = self.add_weight(
            name="mask",
            shape=(self.num_masks, in_dim, self.units),
            initializer="ones",
            trainable=False,
        )
        if self._initial_mask is not None:
            self.set_mask(self._initial_mask)

    def set_mask(self, mask):
        mask = np.asarray(mask, dtype="float32").reshape(self.mask.shape)
        self.mask.assign(mask)

    def masked_kernel(self, mask_index=None):
        """W * M for mask `mask_index` (a Python int or a scalar tensor)."""
        if self.num_masks == 1 or mask_index is None:
            return self.kernel * self.mask[0]
        return self.kernel * ops.take(self.mask, mask_index, axis=0)

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
            num_masks=self.num_masks,
            activation=keras.activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            bias_initializer=keras.initializers.serialize(self.bias_initializer),
            kernel_regularizer=keras.regularizers.serialize(self.kernel_regularizer),
        )
        return config
