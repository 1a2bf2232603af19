import keras
import numpy as np
from keras import ops

from keras_ar.distributions import Bernoulli
from keras_ar.layers.masked_dense import MaskedDense
from keras_ar.models.autoregressive_model import AutoregressiveModel
from keras_ar.models.buffer_state import buffer_initial_state, buffer_write_previous


@keras.saving.register_keras_serializable(package="keras_ar")
class FVSBN(AutoregressiveModel):
    """p(x_i = 1 | x_<i) = sigmoid(a0_i + sum_{j<i} a_ij x_j).

    Fully visible sigmoid belief network: logistic regression of each dimension on
    the previous ones, all n at once as one strictly lower-triangular masked matmul;
    n(n+1)/2 effective parameters (the masked kernel's n(n-1)/2 plus n biases).

    Args:
        input_dim: n.
        kernel_regularizer: e.g. `keras.regularizers.L2(1e-4)`, a penalty on the a_ij
            added to the NLL in `fit` (the model has n^2/2 weights and overfits MNIST).
        ordering, image_shape: see `AutoregressiveModel`.
    """

    input_kind = "binary"

    def __init__(self, input_dim, kernel_regularizer=None, **kwargs):
        super().__init__(input_dim=input_dim, **kwargs)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.distribution = Bernoulli()
        self.conditional_logits = MaskedDense(
            self.input_dim,
            degrees=(np.arange(self.input_dim), np.arange(self.input_dim)),
            strict=True,  # output i sees inputs j < i
            kernel_initializer="zeros",
            kernel_regularizer=self.kernel_regularizer,
            name="conditional_logits",
            dtype=self.dtype_policy,
        )

    def build(self, input_shape):
        self.conditional_logits.build((None, self.input_dim))

    @property
    def num_effective_parameters(self):
        return self.input_dim * (self.input_dim + 1) // 2

    def conditionals(self, x, training=False):
        return {"logits": self.conditional_logits(ops.cast(x, "float32"))}

    def compute_initial_state(self, batch_size, noise):
        return buffer_initial_state(batch_size, self.input_dim)

    def state_names(self):
        return ["inputs", "position"]

    def compute_step(self, state, x_prev):
        inputs = buffer_write_previous(state, x_prev, self.input_dim)  # (batch, n)
        position = state["position"]
        # column `position` of the masked kernel: weights of output i on every input
        weights = ops.take(ops.transpose(self.conditional_logits.masked_kernel()), position, axis=0)
        logits = ops.sum(inputs * weights, axis=-1) + ops.take(
            self.conditional_logits.bias, position, axis=0
        )
        return {"logits": logits}, {"inputs": inputs, "position": position + 1}

    def get_config(self):
        return {
            **super().get_config(),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
        }
