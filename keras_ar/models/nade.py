import keras
from keras import ops

from keras_ar.distributions import Bernoulli
from keras_ar.models.running_sum_model import RunningSumModel


@keras.saving.register_keras_serializable(package="keras_ar")
class NADE(RunningSumModel):
    """p(x_i = 1 | x_<i) = sigmoid(b_i + V_i . h_i),  h_i = act(c + W_<i x_<i).

    Neural autoregressive distribution estimator (Larochelle & Murray 2011) with tied
    input weights. Parameters, indexed by step position: `input_weights` (n, d) (row
    j is the paper's column W[:, j]), `hidden_bias` c (d,), `output_weights` V (n, d),
    `output_bias` b (n,).

    Args:
        input_dim: n.
        hidden_units: d.
        activation: hidden nonlinearity (sigmoid in the paper; "relu" works well).
        ordering, image_shape: see `AutoregressiveModel`.

    Example:
    >>> model = NADE(input_dim=4, hidden_units=8)
    >>> model.log_prob(np.zeros((2, 4), "float32")).shape
    (2,)
    """

    input_kind = "binary"

    def __init__(self, input_dim, hidden_units=500, activation="sigmoid", **kwargs):
        super().__init__(input_dim=input_dim, hidden_units=hidden_units, **kwargs)
        self.activation = activation
        self.activation_fn = keras.activations.get(activation)
        self.distribution = Bernoulli()

    def build(self, input_shape):
        n, d = self.input_dim, self.hidden_units
        self.input_weights = self.add_normal_weight("input_weights", (n, d), stddev=0.01)
        self.hidden_bias = self.add_weight(name="hidden_bias", shape=(d,), initializer="zeros")
        self.output_weights = self.add_normal_weight("output_weights", (n, d), stddev=0.01)
        self.output_bias = self.add_weight(name="output_bias", shape=(n,), initializer="zeros")

    def position_weights(self):
        return {"input": self.input_weights, "output": self.output_weights, "bias": self.output_bias}

    def input_contributions(self, x, w):
        # (batch, n, 1) * (n, d), (batch, 1) * (batch, d) or (batch, 1) * (d,)
        return ops.expand_dims(x, -1) * w["input"]

    def hidden(self, preactivation, w):
        return self.activation_fn(preactivation)

    def output_params(self, hidden, w):
        return {"logits": ops.sum(hidden * w["output"], axis=-1) + w["bias"]}

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}
