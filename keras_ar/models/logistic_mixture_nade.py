import math

import keras
from keras import ops

from keras_ar.distributions import DiscretizedLogisticMixture
from keras_ar.layers.running_sum import head_matmul
from keras_ar.models.running_sum_model import RunningSumModel
from keras_ar.validation import check_positive_int


@keras.saving.register_keras_serializable(package="keras_ar")
class LogisticMixtureNADE(RunningSumModel):
    """p(x_i = k | x_<i) = sum_c pi_ic [F_ic(k + 1/2) - F_ic(k - 1/2)],  h_i = ReLU(rho_i a_i).

    NADE for grey levels 0..K-1 with a discretized mixture-of-logistics head (Salimans
    et al. 2017) instead of a K-way softmax: a_i = c + sum_{j<i} W_j x~_j with
    x~ = 2 x / (K - 1) - 1 in [-1, 1] (RNADE's input, Uria et al. 2013); the C weights,
    means and log-scales of dimension i are affine in h_i. The head costs 3 C d weights
    per dimension instead of the softmax's K d (K = 256, C = 10: 30 d against 256 d).
    Means are (K - 1)/2 (1 + m), so m in [-1, 1] spans the grey levels.

    Args:
        input_dim: n.
        num_categories: K, the number of grey levels (256 for 8-bit images).
        hidden_units: d.
        num_components: C, logistics per dimension.
        ordering, image_shape, chunk_size: see `RunningSumModel`.

    Example:
    >>> model = LogisticMixtureNADE(input_dim=4, hidden_units=8, num_components=2)
    >>> model.log_prob(np.zeros((2, 4), "int32")).shape
    (2,)
    """

    input_kind = "categorical"

    def __init__(self, input_dim, num_categories=256, hidden_units=500, num_components=10, **kwargs):
        super().__init__(input_dim=input_dim, hidden_units=hidden_units, **kwargs)
        self.num_categories = check_positive_int("num_categories", num_categories, minimum=2)
        self.num_components = check_positive_int("num_components", num_components)
        self.distribution = DiscretizedLogisticMixture(self.num_components, self.num_categories)

    def build(self, input_shape):
        n, d, c = self.input_dim, self.hidden_units, self.num_components
        self.add_scaled_relu_inputs(stddev=0.05)
        # one affine map h -> (mixture logits, means, log-scales), 3 C outputs
        self.head_weights = self.add_normal_weight("head_weights", (n, d, 3 * c), 0.05)
        spread = keras.initializers.RandomUniform(-1.0, 1.0)
        self.head_bias = self.add_weight(
            name="head_bias",
            shape=(n, 3 * c),
            # logits 0, means spread over [-1, 1], log-scales 0 (s = (K - 1) / 64 below)
            initializer=lambda shape, dtype=None: ops.concatenate(
                [ops.zeros((n, c)), spread((n, c)), ops.zeros((n, c))], axis=-1
            ),
        )

    def position_weights(self):
        return {"input": self.input_weights, "activation_scale": self.activation_scale,
                "head": self.head_weights, "bias": self.head_bias}

    def input_contributions(self, x, w):
        scaled = ops.cast(x, "float32") * (2.0 / (self.num_categories - 1)) - 1.0
        return ops.expand_dims(scaled, -1) * w["input"]

    def hidden(self, preactivation, w):
        return ops.relu(ops.expand_dims(w["activation_scale"], -1) * preactivation)

    def output_params(self, hidden, w):
        out = head_matmul(hidden, w["head"]) + w["bias"]  # (..., 3C)
        logits, means, log_scales = ops.split(out, 3, axis=-1)
        half_range = 0.5 * (self.num_categories - 1)
        return {
            "mixture_logits": logits,
            "means": half_range * (1.0 + means),
            "log_scales": log_scales + math.log(half_range / 32.0),
        }

    def get_config(self):
        return {
            **super().get_config(),
            "num_categories": self.num_categories,
            "num_components": self.num_components,
        }
