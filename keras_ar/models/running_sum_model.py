from keras import ops

from keras_ar.layers.running_sum import exclusive_cumsum
from keras_ar.models.autoregressive_model import AutoregressiveModel
from keras_ar.validation import check_positive_int


class RunningSumModel(AutoregressiveModel):
    """The NADE mechanism shared by NADE, CategoricalNADE and RNADE.

    a_i = c + sum_{j<i} e_j(x_j);  h_i = f_i(a_i);  params_i = g_i(h_i).
    Training computes every a_i at once by an exclusive cumulative sum, O(n d) per
    example (Larochelle & Murray 2011); a step adds one term, a_{i+1} = a_i + e_i(x_i).

    Subclasses implement `input_contributions(x, positions=None)` (e_j(x_j), `(batch,
    n, d)`, or `(batch, d)` for one position per row), `hidden(a, positions=None)`
    and `output_params(h, positions=None)`, and create `self.hidden_bias` (c).
    """

    def __init__(self, input_dim, hidden_units=500, **kwargs):
        super().__init__(input_dim=input_dim, **kwargs)
        self.hidden_units = check_positive_int("hidden_units", hidden_units)

    def conditionals(self, x, training=False):
        contributions = self.input_contributions(x)  # (batch, n, d)
        preactivation = self.hidden_bias + exclusive_cumsum(contributions)  # (batch, n, d)
        return self.output_params(self.hidden(preactivation))

    def initial_state(self, batch_size, noise=None):
        self.ensure_built()
        return {
            "running_preactivation": ops.zeros((batch_size, self.hidden_units))
            + self.hidden_bias,
            "position": ops.zeros((batch_size,), "int32"),
        }

    def state_names(self):
        return ["running_preactivation", "position"]

    def step(self, state, x_prev):
        self.check_step_inputs(state, x_prev)
        position = state["position"]
        # x_prev belongs to position - 1; at position 0 there is nothing to add.
        previous = ops.maximum(position - 1, 0)
        has_previous = ops.cast(position > 0, "float32")[:, None]
        preactivation = state["running_preactivation"] + has_previous * (
            self.input_contributions(x_prev, positions=previous)
        )  # (batch, d)
        params = self.output_params(self.hidden(preactivation, position), position)
        return params, {"running_preactivation": preactivation, "position": position + 1}

    def get_config(self):
        return {**super().get_config(), "hidden_units": self.hidden_units}
