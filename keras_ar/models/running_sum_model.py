import functools
import math

import keras
from keras import ops

from keras_ar import backend as fast
from keras_ar.layers.running_sum import block_exclusive_sum, exclusive_cumsum, per_position
from keras_ar.models.autoregressive_model import AutoregressiveModel
from keras_ar.validation import check_positive_int

# a block of K positions keeps (batch, K, d) floats in flight. Measured for NADE-784/500
# on CPU (XLA, batch 100, CPU time): K=1 ~2x faster than K=2..16, so blocks only grow
# when one position's (batch, d) is too small to pay for a loop iteration
_BLOCK_FLOATS = 16_384

# `log_prob`'s loops hold a running sum `(rows, d)` of at most this many floats (where
# the backend cuts loops, `SMALL_LOOPS`, or the model asks for it everywhere,
# `inference_small_loops`). Batch 512 on 2 cores, examples/s: NADE-784/500 (ReLU) on
# TensorFlow 11,200 in one loop of 256 rows per core, 19,700-20,900 in loops of 64-128;
# RNADE-560/100 on JAX 2,700 in loops of 64 rows, 5,300 in one of 256
_INFERENCE_LOOP_FLOATS = 32_000


def auto_block_size(batch_size, input_dim, hidden_units):
    """Positions per block of the training loop: the largest power of two <= 16 whose
    block `(batch, K, d)` stays within `_BLOCK_FLOATS` floats (at least 1)."""
    size = 1
    while size < 16 and size * 2 * batch_size * hidden_units <= _BLOCK_FLOATS:
        size *= 2
    return max(1, min(size, input_dim))


class RunningSumModel(AutoregressiveModel):
    """The NADE mechanism shared by NADE, CategoricalNADE and RNADE.

    a_i = c + sum_{j<i} e_j(x_j);  h_i = f_i(a_i);  params_i = g_i(h_i).
    A step adds one term, a_{i+1} = a_i + e_i(x_i), O(d) per position.

    Subclasses create `self.hidden_bias` (c) and implement, on per-position weights
    `w` (a dict of tensors aligned with the positions of `x`: `(n, ...)` for all
    positions, `(K, ...)` for a block, `(batch, ...)` for one position per row, `(...)`
    for one position shared by every row): `position_weights()` (the `(n, ...)`
    weights by name), `input_contributions(x, w)` (e_j(x_j)), `hidden(a, w)` and
    `output_params(h, w)`.

    Paths (all equal up to float rounding):
    - training (`fit`, `call(training=True)`) and `log_prob`: a compiled loop over
      blocks of K positions carrying the running sum `(batch, d)`; inside a block a
      strictly lower-triangular `(K, K)` matmul gives the exclusive sums. Its gradient
      is a reverse loop that recomputes each block from the running sum
      (a_start = a_end - sum of the block's e_j) and takes the block's vector-Jacobian
      product, so memory is O(batch K d), not O(batch n d) (Larochelle & Murray 2011's
      O(nd) gradient). Backends without a fast path use the vectorized pass below.
    - `call(training=False)` (export, evaluate): every a_i at once by an exclusive
      cumulative sum over `(batch, n, d)` tensors; with `chunk_size=k` it walks the n
      dimensions in rematerialized blocks of k.
    - sampling: one compiled loop whose step is the head at position i and the
      rank-1 update of the running sum by the new value.

    Args:
        chunk_size: positions per block (K) of the training loop and of the
            vectorized pass; None chooses K from (batch, n, d).
    """

    # log_prob's loops are compiled one by one, so that the batch parts run side by side
    log_prob_with_xla = False
    # rows per loop where loops over fewer rows pay (JAX on CPU; `backend.in_batch_parts`)
    loop_rows = 64

    def __init__(self, input_dim, hidden_units=500, chunk_size=None, **kwargs):
        super().__init__(input_dim=input_dim, **kwargs)
        self.hidden_units = check_positive_int("hidden_units", hidden_units)
        self.chunk_size = None if chunk_size is None else check_positive_int("chunk_size", chunk_size)

    # --- what a subclass implements -------------------------------------------------
    def add_normal_weight(self, name, shape, stddev):
        """A weight drawn from N(0, stddev^2), with its own initializer instance (one
        shared instance would give equal matrices)."""
        initializer = keras.initializers.RandomNormal(stddev=stddev)
        return self.add_weight(name=name, shape=shape, initializer=initializer)

    def add_scaled_relu_inputs(self, stddev=0.05):
        """The input side of h_i = ReLU(rho_i a_i) (RNADE and its relatives):
        `input_weights` W (n, d), `hidden_bias` c (d,), `activation_scale` rho (n,)."""
        n, d = self.input_dim, self.hidden_units
        self.input_weights = self.add_normal_weight("input_weights", (n, d), stddev)
        self.hidden_bias = self.add_weight(name="hidden_bias", shape=(d,), initializer="zeros")
        self.activation_scale = self.add_weight(name="activation_scale", shape=(n,), initializer="ones")

    def position_weights(self):
        """The per-position weights `{name: (n, ...)}` in step order."""
        raise NotImplementedError

    def weights_at(self, positions=None):
        return {name: per_position(w, positions) for name, w in self.position_weights().items()}

    # --- vectorized pass (export, evaluation, backends without a fast path) -----------
    def conditionals(self, x, training=False):
        if self.chunk_size is None or self.chunk_size >= self.input_dim:
            weights = self.weights_at()
            contributions = self.input_contributions(x, weights)  # (batch, n, d)
            preactivation = self.hidden_bias + exclusive_cumsum(contributions)  # (batch, n, d)
            return self.output_params(self.hidden(preactivation, weights), weights)
        return self._chunked_conditionals(x)

    def _chunked_conditionals(self, x):
        blocks = []
        # sum_{j < start} e_j(x_j); c is added inside each block, where remat sees it
        # as a captured weight (passing it in as an input would count its gradient twice)
        running = ops.zeros((self.hidden_units,))  # (d,), then (batch, d)
        for start in range(0, self.input_dim, self.chunk_size):
            stop = min(start + self.chunk_size, self.input_dim)
            # start/stop are bound as Python ints: remat would turn arguments into
            # tensors, and slicing by a tensor bound is not a compile-time shape for XLA
            block = functools.partial(self._remat_block, start=start, stop=stop)
            params, running = keras.remat(block)(x[:, start:stop], running)
            blocks.append(params)
        return {name: ops.concatenate([b[name] for b in blocks], axis=1) for name in blocks[0]}

    def _remat_block(self, x_block, running, start, stop):
        weights = {name: w[start:stop] for name, w in self.position_weights().items()}
        contributions = self.input_contributions(x_block, weights)  # (batch, k, d)
        preactivation = self.hidden_bias + ops.expand_dims(running, -2) + block_exclusive_sum(contributions)
        params = self.output_params(self.hidden(preactivation, weights), weights)
        return params, running + ops.sum(contributions, axis=1)

    # --- the blocked loop (training, log_prob) ----------------------------------------
    def call(self, x, training=False):
        if training and fast.has_fast_paths():
            return self.loop_log_prob(x)
        return super().call(x, training=training)

    def fast_log_prob(self, x):
        return self.loop_log_prob(x, training=False) if fast.has_fast_paths() else self(x)

    def trains_in_lanes(self):
        return fast.has_fast_paths()

    def block_size(self, batch_size):
        if self.chunk_size is not None:
            return min(self.chunk_size, self.input_dim)
        return auto_block_size(batch_size or 100, self.input_dim, self.hidden_units)

    def inference_block_size(self, batch_size):
        """Positions per block of `log_prob`'s loop, where no gradient is taken (by
        default the training loop's `block_size`)."""
        return self.block_size(batch_size)

    def loop_log_prob(self, x, training=True):
        """log p(x) `(batch,)` by the compiled loop over blocks (differentiable; with
        `training=False` its blocks are `inference_block_size`).

        On CPU the batch is cut into `fast.batch_parts()` equal parts (zero rows pad
        it, and are dropped), each its own loop: the parts run on different cores and
        each part's `(rows, d)` state stays in cache (NADE-784/500 trains about twice
        as fast on 2 cores as with one loop over the whole batch)."""
        x = ops.cast(self.to_step_order(x), self.distribution.value_dtype)  # (batch, n)
        sizes = self.block_size if training else self.inference_block_size
        if training:
            max_rows, small_loops = self.loop_rows, None
        else:
            max_rows = max(1, _INFERENCE_LOOP_FLOATS // self.hidden_units)
            small_loops = self.inference_small_loops()
        return fast.in_batch_parts(lambda part: self._blocked_loop(part, sizes(part.shape[0])), x,
                                   max_rows=max_rows, small_loops=small_loops)

    def inference_small_loops(self):
        """Whether `log_prob` cuts its loops to `_INFERENCE_LOOP_FLOATS` on every backend
        (True) or where the backend's `SMALL_LOOPS` says (None, the default: RNADE-560/500
        on TensorFlow ran 4,100-4,300 examples/s at batch 512 uncut, 3,300 cut)."""
        return None

    def _blocked_loop(self, x, size):
        n, d = self.input_dim, self.hidden_units
        num_blocks = math.ceil(n / size)
        pad = num_blocks * size - n
        x_blocks = ops.transpose(
            ops.reshape(ops.pad(x, [[0, 0], [0, pad]]), (-1, num_blocks, size)), (1, 0, 2)
        )  # (m, batch, K)
        weight_blocks = {}
        for name, weight in self.position_weights().items():
            weight = ops.convert_to_tensor(weight)
            padding = [[0, pad]] + [[0, 0]] * (len(weight.shape) - 1)
            weight_blocks[name] = ops.reshape(
                ops.pad(weight, padding), (num_blocks, size, *weight.shape[1:])
            )  # (m, K, ...)
        valid = ops.reshape(ops.cast(ops.arange(num_blocks * size) < n, "float32"), (num_blocks, size))
        initial = ops.zeros((ops.shape(x)[0], d)) + self.hidden_bias  # (batch, d)
        return fast.running_sum_log_prob(self, initial, x_blocks, weight_blocks, valid)

    def block_log_prob(self, weights, running, x_block, valid):
        """One block of K positions from the running sum before it: (sum_k valid_k log
        p(x_k | x_<k) `(batch,)`, the running sum after the block `(batch, d)`)."""
        contributions = self.input_contributions(x_block, weights)  # (batch, K, d)
        preactivation = ops.expand_dims(running, 1) + block_exclusive_sum(contributions)
        params = self.output_params(self.hidden(preactivation, weights), weights)
        log_prob = self.distribution.log_prob(params, x_block) * valid  # (batch, K)
        return ops.sum(log_prob, axis=-1), running + ops.sum(contributions, axis=1)

    def block_vjp(self, weights, running, x_block, valid, upstream, d_running):
        """The vector-Jacobian product of `block_log_prob` written out, from the running
        sum after the block `running` `(batch, d)`: given d loss / d (block log p)
        `upstream` `(batch,)` and d loss / d (running sum after the block) `d_running`,
        returns (the running sum before the block, d loss / d it, {name: d loss / d
        weight}).

        None (the default) lets the backend take it by autodiff; a model whose gradient
        is cheap to write down (NADE) overrides it, which is faster on CPU.
        """
        return None

    def block_backward(self, weights, running, x_block, valid, upstream, d_running, vjp):
        """One step of the gradient loop (run backwards over the blocks): the running
        sum before the block, d loss / d it, and the block's weight gradients, by
        `block_vjp` if the model writes it out, else by the backend's autodiff
        `vjp(fn, primals, cotangents)` of `block_log_prob` after recomputing
        a_start = a_end - sum_k e_k(x_k)."""
        written = self.block_vjp(weights, running, x_block, valid, upstream, d_running)
        if written is not None:
            return written
        start = running - ops.sum(self.input_contributions(x_block, weights), axis=1)
        d_start, d_weights = vjp(
            lambda start, weights: self.block_log_prob(weights, start, x_block, valid),
            (start, weights), (upstream, d_running),
        )
        return start, d_start, d_weights

    def backward_scan_body(self, upstream, vjp):
        """The body of the backends' reverse scan over the blocks: carry (running sum
        after the block, d loss / d it), xs (x_block, weights, valid) -> ((running sum
        before the block, d loss / d it), the block's weight gradients)."""

        def body(carry, xs):
            running, d_running = carry
            x_block, weights, valid = xs
            start, d_start, d_weights = self.block_backward(
                weights, running, x_block, valid, upstream, d_running, vjp
            )
            return (start, d_start), d_weights

        return body

    # --- step-wise contract -----------------------------------------------------------
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
            self.input_contributions(x_prev, self.weights_at(previous))
        )  # (batch, d)
        weights = self.weights_at(position)
        params = self.output_params(self.hidden(preactivation, weights), weights)
        return params, {"running_preactivation": preactivation, "position": position + 1}

    def sampling_step(self, state, x_prev, index):
        """`compute_step` where every row is at step `index` (a scalar): weights are one
        row, not a gather per row, and the update is one rank-1 term."""
        preactivation = self.sampling_preactivation(state, x_prev, index)
        weights = self.weights_at(index)
        params = self.output_params(self.hidden(preactivation, weights), weights)
        return params, {"running_preactivation": preactivation, "position": state["position"] + 1}

    def sampling_preactivation(self, state, x_prev, index):
        """a_i `(batch, d)` in the sampling loop: the running sum plus e_{i-1}(x_{i-1}),
        one row of the weights (nothing is added at index 0)."""
        has_previous = ops.cast(index > 0, "float32")
        previous = self.weights_at(ops.maximum(index - 1, 0))
        return state["running_preactivation"] + has_previous * self.input_contributions(x_prev, previous)

    def get_config(self):
        return {**super().get_config(), "hidden_units": self.hidden_units, "chunk_size": self.chunk_size}
