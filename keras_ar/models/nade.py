import keras
from keras import ops

from keras_ar import backend as fast
from keras_ar.distributions import Bernoulli
from keras_ar.layers import activations
from keras_ar.layers.running_sum import block_exclusive_sum, block_reverse_exclusive_sum
from keras_ar.layers.sigmoid_products import (
    PRODUCT_BLOCK,
    PRODUCT_MIN_UNITS,
    as_products,
    products_stay_finite,
    walk,
)
from keras_ar.models.running_sum_model import RunningSumModel

# act'(a) from a and h = act(a), for the activations whose gradient NADE writes out
_DERIVATIVES = {
    "sigmoid": lambda a, h: h * (1.0 - h),
    "tanh": lambda a, h: 1.0 - h * h,
    "relu": lambda a, h: ops.cast(a > 0, h.dtype),
    "linear": lambda a, h: ops.ones_like(h),
}

@keras.saving.register_keras_serializable(package="keras_ar")
class NADE(RunningSumModel):
    """p(x_i = 1 | x_<i) = sigmoid(b_i + V_i . h_i),  h_i = act(c + W_<i x_<i).

    Neural autoregressive distribution estimator (Larochelle & Murray 2011) with tied
    input weights. Parameters, indexed by step position: `input_weights` (n, d) (row
    j is the paper's column W[:, j]), `hidden_bias` c (d,), `output_weights` V (n, d),
    `output_bias` b (n,).

    With 64 or more sigmoid units, `log_prob` and training evaluate h = 1 / (1 + E) with
    E = exp(-a) carried as a running product over blocks of 16 positions (one exp per
    unit per block instead of per position; the gradient walks E back from the block's
    end), wherever |a| provably stays within 80 so that E is a normal float; elsewhere
    sigmoid(a) directly. Sampling carries E the same way.
    NADE-784/500, 2 cores, `log_prob` examples/s with the block's positions in a loop
    against written out (interleaved, medians of 11): TensorFlow 7,347 / 8,473 against
    5,118 / 6,939 at batch 100 / 512; JAX 6,343 / 8,467 against 4,254 / 5,920.

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
        self.activation_fn = activations.get(activation)
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
        if len(w["output"].shape) == 1:  # one position shared by every row: a matvec
            return {"logits": ops.matmul(hidden, w["output"]) + w["bias"]}
        return {"logits": ops.sum(hidden * w["output"], axis=-1) + w["bias"]}

    # --- the training loop's block, written out (faster on CPU than autodiff) ---------
    def block_size(self, batch_size):
        """Sigmoid units: blocks of 16 positions in training and `log_prob`, where h is
        carried as a product (`_sigmoid_block_logits`, `_sigmoid_block_vjp`)."""
        if self._uses_products() and self.chunk_size is None:
            return min(PRODUCT_BLOCK, self.input_dim)
        return super().block_size(batch_size)

    def block_log_prob(self, weights, running, x_block, valid):
        """sum_k log p(x_k | x_<k) over one block of K positions, and a + sum_k x_k W_k:
        the generic block with dots instead of broadcasts (for K = 1 no (batch, K, d)
        tensor at all)."""
        x = ops.cast(x_block, running.dtype)  # (batch, K)
        update = ops.matmul(x, weights["input"])
        after = running + update
        if self._uses_products() and x.shape[1] > 1:
            logits = self._sigmoid_block_logits(weights, running, x)
        else:  # the start from the updated sum where that saves a copy of it (JAX)
            start = after - update if fast.read_updated_carry() else running
            _, logits = self._block_hidden_and_logits(weights, start, x)
        log_prob = self.distribution.log_prob({"logits": logits}, x) * valid
        return ops.sum(log_prob, axis=-1), after

    def _sigmoid_block_logits(self, weights, start, x):
        """The logits of a block of sigmoid units with one exp per unit per block, not
        per position: sigmoid(a_k) = 1 / (1 + E_k) with E_k = exp(-a_k) carried as a
        product, E_{k+1} = E_k exp(-W_k)^(x_k) (x_k in {0, 1}). Used when every
        |a_k| of the block is provably <= 80 (|a| + sum_k |W_k| per unit, so E stays a
        normal float), else the block is computed directly."""
        def by_products():
            columns = ops.transpose(x)  # (K, batch)

            def visit(k, hidden):  # logit k without its bias, then the data's x_k
                return ops.matmul(hidden, ops.take(weights["output"], k, axis=0)), ops.take(columns, k, axis=0)

            products = as_products(start, weights["input"])
            logits = walk(x.shape[1], *products, visit, start.dtype)  # (K, batch)
            return ops.transpose(logits) + weights["bias"]

        def directly():
            return self._block_hidden_and_logits(weights, start, x)[1]

        return ops.cond(products_stay_finite(start, weights["input"]), by_products, directly)

    def _block_hidden_and_logits(self, weights, start, x):
        if x.shape[1] == 1:  # h (batch, d), logits (batch, 1)
            hidden = self.activation_fn(start)
            return hidden, ops.matmul(hidden, ops.transpose(weights["output"])) + weights["bias"]
        preactivation = ops.expand_dims(start, 1) + block_exclusive_sum(
            self.input_contributions(x, weights)
        )  # (batch, K, d)
        hidden = self.activation_fn(preactivation)
        return hidden, ops.einsum("bkd,kd->bk", hidden, weights["output"]) + weights["bias"]

    def block_vjp(self, weights, running, x_block, valid, upstream, d_running):
        """NADE's O(K d) gradient for one block (Larochelle & Murray 2011), from the
        running sum after it: a_start = a_end - sum_k x_k W_k;
        dl_k = g (x_k - p_k);  dV_k = dl_k h_k;  da_k = dl_k V_k act'(a_k);
        dW_k = x_k sum_{j>k} da_j (the positions after k, inside and after the block)."""
        derivative = _DERIVATIVES.get(self.activation) if isinstance(self.activation, str) else None
        if derivative is None:
            return None
        x = ops.cast(x_block, running.dtype)  # (batch, K)
        start = running - ops.matmul(x, weights["input"])
        if self._uses_products() and x.shape[1] > 1:
            d_start, d_weights = ops.cond(
                products_stay_finite(start, weights["input"]),
                lambda: self._sigmoid_block_vjp(weights, running, x, valid, upstream, d_running),
                lambda: self._block_vjp_directly(weights, start, x, valid, upstream, d_running, derivative),
            )
            return start, d_start, d_weights
        return (start, *self._block_vjp_directly(weights, start, x, valid, upstream, d_running, derivative))

    def _sigmoid_block_vjp(self, weights, end, x, valid, upstream, d_running):
        """The block's gradient with E = exp(-a) carried backwards as a product from the
        running sum after the block: E_k = E_{k+1} (1 + x_k (exp(W_k) - 1)), h_k = 1 /
        (1 + E_k), walking k = K-1 .. 0 with g = d_running + sum_{j>k} da_j:
        dW_k = x_k g,  dV_k = dl_k h_k,  da_k = dl_k V_k h_k (1 - h_k). One exp per unit
        per block, as in the forward pass, where sigmoid(a) took one per position (used
        when every |a| of the block is provably <= 80, as there)."""
        size = x.shape[1]
        growth = ops.exp(weights["input"]) - 1.0  # (K, d)
        columns = ops.transpose(x)  # (K, batch)
        scales = ops.transpose(ops.expand_dims(upstream, -1) * valid)  # (K, batch)

        def body(i, loop):
            k = size - 1 - i
            e, g, d_input, d_output, d_bias = loop
            x_k = ops.take(columns, k, axis=0)  # (batch,)
            e = e * (1.0 + ops.expand_dims(x_k, -1) * ops.take(growth, k, axis=0))  # E_k
            hidden = 1.0 / (1.0 + e)
            output = ops.take(weights["output"], k, axis=0)  # (d,)
            logit = ops.matmul(hidden, output) + ops.take(weights["bias"], k)
            d_logit = ops.take(scales, k, axis=0) * (x_k - ops.sigmoid(logit))  # (batch,)
            d_input = ops.slice_update(d_input, [k, 0], ops.expand_dims(ops.matmul(x_k, g), 0))
            d_output = ops.slice_update(d_output, [k, 0], ops.expand_dims(ops.matmul(d_logit, hidden), 0))
            d_bias = ops.slice_update(d_bias, [k], ops.expand_dims(ops.sum(d_logit), 0))
            d_a = ops.expand_dims(d_logit, -1) * output * hidden * (1.0 - hidden)
            return e, g + d_a, d_input, d_output, d_bias

        zeros = ops.zeros_like(weights["input"])
        loop = (ops.exp(-end), d_running, zeros, zeros, ops.zeros_like(weights["bias"]))
        _, d_start, d_input, d_output, d_bias = ops.fori_loop(0, size, body, loop)
        return d_start, {"input": d_input, "output": d_output, "bias": d_bias}

    def _block_vjp_directly(self, weights, start, x, valid, upstream, d_running, derivative):
        """(d loss / d the running sum before the block, the block's weight gradients)."""
        hidden, logits = self._block_hidden_and_logits(weights, start, x)
        d_logits = ops.expand_dims(upstream, -1) * valid * (x - ops.sigmoid(logits))  # (batch, K)
        if x.shape[1] == 1:
            d_preactivation = ops.matmul(d_logits, weights["output"]) * derivative(start, hidden)
            d_weights = {
                "input": ops.matmul(ops.transpose(x), d_running),
                "output": ops.matmul(ops.transpose(d_logits), hidden),
                "bias": ops.sum(d_logits, axis=0),
            }
            return d_running + d_preactivation, d_weights
        preactivation = ops.expand_dims(start, 1) + block_exclusive_sum(self.input_contributions(x, weights))
        d_preactivation = (
            ops.expand_dims(d_logits, -1) * weights["output"] * derivative(preactivation, hidden)
        )  # (batch, K, d)
        d_after = ops.expand_dims(d_running, 1) + block_reverse_exclusive_sum(d_preactivation)
        d_weights = {
            "input": ops.einsum("bk,bkd->kd", x, d_after),
            "output": ops.einsum("bk,bkd->kd", d_logits, hidden),
            "bias": ops.sum(d_logits, axis=0),
        }
        return d_running + ops.sum(d_preactivation, axis=1), d_weights

    def inference_small_loops(self):
        """Short loops on every backend, except with sigmoid units as products, which
        gained nothing on TensorFlow (NADE-784/500, batch 512: 10,500-11,000 examples/s
        in loops of 256 rows, 8,600-10,500 in loops of 64 or 128)."""
        return None if self._uses_products() else True

    def _uses_products(self):
        """Sigmoid units, enough of them for the exps to dominate a step (below that
        the product form only adds compilation time)."""
        return self.activation == "sigmoid" and self.hidden_units >= PRODUCT_MIN_UNITS

    # --- sampling in blocks of 16 steps, sigmoid units as products --------------------
    def sampling_block_size(self, length):
        """16 steps per iteration of the sampling loop with sigmoid units (when 16
        divides n), so that h = 1 / (1 + E) is carried as a product; else 1."""
        products = self._uses_products()
        return PRODUCT_BLOCK if products and length % PRODUCT_BLOCK == 0 else 1

    def sampling_loop_rows(self):
        """Loops of at most 64 rows with the product form. NADE-784/500, batch 512,
        2 cores, images/s in loops of 64 / 128 rows (medians of 9, three interleaved
        rounds, separate processes): TensorFlow 9,626-10,840 / 8,426-9,830; JAX
        9,122-9,677 / 5,853-10,026 (an earlier round with 256 rows: 7,107-10,817)."""
        return 64 if self.sampling_block_size(self.input_dim) > 1 else None

    def sampling_block(self, state, x_prev, steps, take):
        """16 sampling steps with E = exp(-a) carried as a product, E <- E exp(-W_k)^(x_k):
        one exp per unit per block and no branch per step (a per-step branch costs more
        than the step). The block's one branch checks |a| <= 80 as in `log_prob`
        (`products_stay_finite`), else the block uses sigmoid(a). The loop carries E
        alone; a is rebuilt once per block, a + sum_{k<K-1} x_k W_k, one matmul.
        NADE-784/500, 2 cores, `model.sample` images/s, interleaved in one process
        (medians of 15): TensorFlow 7,512 / 10,541 at batch 100 / 512 against 7,585 /
        7,145 when a was carried too; JAX 8,808 / 9,171 against 6,606 / 7,513 with
        sigmoid(a) per step."""
        size = steps["index"].shape[0]
        first = steps["index"][0]
        start = self.sampling_preactivation(state, x_prev, first)  # a at the first position
        rows = {}  # the block's rows of the weights: (K, d), (K, d), (K,)
        for name, weight in self.position_weights().items():
            start_index = [first] + [0] * (len(weight.shape) - 1)
            shape = [size, *weight.shape[1:]]
            rows[name] = ops.slice(ops.convert_to_tensor(weight), start_index, shape)

        def visit(k, hidden):  # draw x_k; it is both the record and the next input
            step = {name: ops.take(tensor, k, axis=0) for name, tensor in steps.items()}
            logits = ops.matmul(hidden, ops.take(rows["output"], k, axis=0)) + ops.take(rows["bias"], k)
            value = take({"logits": logits}, step)
            return value, value

        def by_products():
            return walk(size, *as_products(start, rows["input"]), visit, self.distribution.value_dtype)

        def directly():
            advance = lambda a, x, k: a + x * ops.take(rows["input"], k, axis=0)  # noqa: E731
            return walk(size, start, self.activation_fn, advance, visit, self.distribution.value_dtype)

        values = ops.cond(products_stay_finite(start, rows["input"]), by_products, directly)
        # the state stays at the block's last position: a + sum_{k < K-1} x_k W_k
        taken = ops.cast(ops.transpose(values[:-1]), start.dtype)  # (batch, K - 1)
        running = start + ops.matmul(taken, rows["input"][:-1])
        return {"running_preactivation": running, "position": state["position"] + size}, values

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}
