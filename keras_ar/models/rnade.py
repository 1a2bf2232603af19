import math
import numbers

import keras
from keras import ops

from keras_ar.distributions import MixtureOfGaussians
from keras_ar.layers.running_sum import head_matmul
from keras_ar.models.running_sum_model import RunningSumModel
from keras_ar.validation import check_positive_int


@keras.saving.register_keras_serializable(package="keras_ar")
class RNADE(RunningSumModel):
    """p(x_i | x_<i) = sum_c pi_ic N(x_i; mu_ic, sigma_ic^2),  h_i = ReLU(rho_i a_i).

    Real-valued NADE (Uria, Murray & Larochelle 2013): a_i = c + sum_{j<i} W_j x_j;
    mixture weights, means and scales of dimension i are affine in h_i. Scales are
    sigma = min_scale + softplus(.), so they never collapse to 0.

    Args:
        input_dim: n.
        hidden_units: d.
        num_components: C, Gaussians per dimension.
        min_scale: floor of every sigma.
    """

    input_kind = "real"

    def __init__(self, input_dim, hidden_units=100, num_components=10, min_scale=1e-3, **kwargs):
        super().__init__(input_dim=input_dim, hidden_units=hidden_units, **kwargs)
        self.num_components = check_positive_int("num_components", num_components)
        if isinstance(min_scale, bool) or not isinstance(min_scale, numbers.Real):
            raise TypeError(f"`min_scale` must be a number > 0, got {min_scale!r}.")
        if not (math.isfinite(min_scale) and min_scale > 0):
            raise ValueError(f"`min_scale` must be a finite number > 0, got {min_scale!r}.")
        self.min_scale = float(min_scale)
        self.distribution = MixtureOfGaussians(self.num_components)

    def build(self, input_shape):
        n, d, c = self.input_dim, self.hidden_units, self.num_components
        self.add_scaled_relu_inputs(stddev=0.05)
        self.head_weights = {}
        self.head_biases = {}
        for name in ("mixture_logits", "means", "scales"):
            self.head_weights[name] = self.add_normal_weight(f"{name}_weights", (n, d, c), 0.05)
            # spread the means so the components start apart
            bias_init = keras.initializers.RandomUniform(-1.0, 1.0) if name == "means" else "zeros"
            self.head_biases[name] = self.add_weight(
                name=f"{name}_bias", shape=(n, c), initializer=bias_init
            )

    def position_weights(self):
        weights = {"input": self.input_weights, "activation_scale": self.activation_scale}
        for name in ("mixture_logits", "means", "scales"):
            weights[f"{name}_weights"] = self.head_weights[name]
            weights[f"{name}_bias"] = self.head_biases[name]
        return weights

    def input_contributions(self, x, w):
        return ops.expand_dims(x, -1) * w["input"]

    def hidden(self, preactivation, w):
        return ops.relu(ops.expand_dims(w["activation_scale"], -1) * preactivation)

    def _head(self, name, hidden, w):
        return head_matmul(hidden, w[f"{name}_weights"]) + w[f"{name}_bias"]

    def output_params(self, hidden, w):
        raw_scale = self._head("scales", hidden, w)
        scale = self.min_scale + ops.softplus(raw_scale + math.log(math.e - 1.0))
        return {
            "mixture_logits": self._head("mixture_logits", hidden, w),
            "means": self._head("means", hidden, w),
            "log_scales": ops.log(scale),
        }

    def get_config(self):
        return {
            **super().get_config(),
            "num_components": self.num_components,
            "min_scale": self.min_scale,
        }
