import keras
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
    n, d)`; `positions` are either `(batch,)`, one step per row with `x` `(batch,)`, or
    `(k,)`, a block of dimensions with `x` `(batch, k)`), `hidden(a, positions=None)`
    and `output_params(h, positions=None)`, and create `self.hidden_bias` (c).

    Memory: the parallel pass holds `(batch, n, d)` tensors. With `chunk_size=k` it
    walks the n dimensions in blocks of k, carrying the running sum between blocks,
    and recomputes each block in the backward pass (`keras.remat`), so activations
    take O(batch k d) instead of O(batch n d); the result is the same.
    """

    def __init__(self, input_dim, hidden_units=500, chunk_size=None, **kwargs):
        super().__init__(input_dim=input_dim, **kwargs)
        self.hidden_units = check_positive_int("hidden_units", hidden_units)
        self.chunk_size = None if chunk_size is None else check_positive_int("chunk_size", chunk_size)

    def conditionals(self, x, training=False):
        if self.chunk_size is None or self.chunk_size >= self.input_dim:
            contributions = self.input_contributions(x)  # (batch, n, d)
            preactivation = self.hidden_bias + exclusive_cumsum(contributions)  # (batch, n, d)
            return self.output_params(self.hidden(preactivation))
        return self._chunked_conditionals(x)

    def _chunked_conditionals(self, x):
        blocks = []
        # sum_{j < start} e_j(x_j); c is added inside each block, where remat sees it
        # as a captured weight (passing it in as an input would count its gradient twice)
        running = ops.zeros((self.hidden_units,))  # (d,), then (batch, d)
        for start in range(0, self.input_dim, self.chunk_size):
            stop = min(start + self.chunk_size, self.input_dim)
            params, running = keras.remat(self._block)(x[:, start:stop], running, start, stop)
            blocks.append(params)
        return {name: ops.concatenate([b[name] for b in blocks], axis=1) for name in blocks[0]}

    def _block(self, x_block, running, start, stop):
        positions = ops.arange(start, stop, dtype="int32")
        contributions = self.input_contributions(x_block, positions)  # (batch, k, d)
        preactivation = self.hidden_bias + ops.expand_dims(running, -2) + exclusive_cumsum(contributions)
        params = self.output_params(self.hidden(preactivation, positions), positions)
        return params, running + ops.sum(contributions, axis=1)

    def compute_initial_state(self, batch_size, noise):
        return {
            "running_preactivation": ops.zeros((batch_size, self.hidden_units))
            + self.hidden_bias,
            "position": ops.zeros((batch_size,), "int32"),
        }

    def state_names(self):
        return ["running_preactivation", "position"]

    def compute_step(self, state, x_prev):
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
        return {**super().get_config(), "hidden_units": self.hidden_units, "chunk_size": self.chunk_size}
