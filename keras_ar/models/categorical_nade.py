import keras
from keras import ops

from keras_ar.distributions import Categorical
from keras_ar.layers import activations
from keras_ar.layers.running_sum import head_matmul
from keras_ar.models.running_sum_model import RunningSumModel
from keras_ar.validation import check_positive_int


@keras.saving.register_keras_serializable(package="keras_ar")
class CategoricalNADE(RunningSumModel):
    """p(x_i = k | x_<i) = softmax(A_i h_i + b_i)_k,  h_i = act(c + sum_{j<i} E_j[x_j]).

    NADE over K values per dimension (e.g. grey levels): the value of dimension j
    enters the running sum through its own embedding table E_j (K, d). Parameters:
    `input_embeddings` (n, K, d), `hidden_bias` (d,), `output_weights` A (n, K, d),
    `output_bias` (n, K); 2 n K d + n K + d in all.

    Args:
        input_dim: n.
        num_categories: K >= 2.
        hidden_units: d.
        activation: hidden nonlinearity.
    """

    input_kind = "categorical"

    def __init__(self, input_dim, num_categories=256, hidden_units=500, activation="sigmoid", **kwargs):
        super().__init__(input_dim=input_dim, hidden_units=hidden_units, **kwargs)
        self.num_categories = check_positive_int("num_categories", num_categories, minimum=2)
        self.activation = activation
        self.activation_fn = activations.get(activation)
        self.distribution = Categorical(self.num_categories)

    def build(self, input_shape):
        n, k, d = self.input_dim, self.num_categories, self.hidden_units
        self.input_embeddings = self.add_normal_weight("input_embeddings", (n, k, d), stddev=0.01)
        self.hidden_bias = self.add_weight(name="hidden_bias", shape=(d,), initializer="zeros")
        self.output_weights = self.add_normal_weight("output_weights", (n, k, d), stddev=0.01)
        self.output_bias = self.add_weight(name="output_bias", shape=(n, k), initializer="zeros")

    def position_weights(self):
        return {"input": self.input_embeddings, "output": self.output_weights, "bias": self.output_bias}

    def input_contributions(self, x, w):
        table, x = w["input"], ops.cast(x, "int32")
        if len(table.shape) == 2:  # one position for every row: (K, d)
            return ops.take(table, x, axis=0)  # (batch, d)
        if len(x.shape) == 1:  # one position per row: (batch, K, d)
            return ops.squeeze(ops.take_along_axis(table, x[:, None, None], axis=1), 1)
        positions, k, d = table.shape  # all or a block of positions: (p, K, d)
        index = ops.arange(positions, dtype="int32") * k + x  # (batch, p)
        return ops.take(ops.reshape(table, (positions * k, d)), index, axis=0)  # (batch, p, d)

    def hidden(self, preactivation, w):
        return self.activation_fn(preactivation)

    def output_params(self, hidden, w):
        return {"logits": head_matmul(hidden, w["output"], layout="cd") + w["bias"]}

    def get_config(self):
        return {
            **super().get_config(),
            "num_categories": self.num_categories,
            "activation": self.activation,
        }
