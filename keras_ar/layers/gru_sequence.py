"""A Keras GRU over a whole time-major sequence: one input matmul, a lean loop, its own backward.

h_t = z_t h_{t-1} + (1 - z_t) tanh(x_t W_h + b_h + r_t (h_{t-1} U_h + c_h)),
[z_t, r_t] = sigmoid(x_t W_zr + b_zr + h_{t-1} U_zr + c_zr)   (Keras' GRU, reset_after=True).

`keras.layers.GRU` multiplies x_t by the kernel inside every step, and automatic
differentiation of its loop adds h_{t-1}^T d_t to the recurrent kernel's gradient inside
every step of the backward loop. Here the input projections of all steps are one matmul
before the loop, the forward loop works gate by gate (three (batch, H) x (H, H) matmuls
per step, no column slices of a (batch, 3H) product, which XLA's CPU loops run slowly),
the backward loop carries only dh (one (batch, 3H) x (3H, H) matmul per step), and the
recurrent kernel's gradient is one (H, T·batch) x (T·batch, 3H) matmul after it. The
weights are the layer's own (`kernel`, `recurrent_kernel`, `bias`), so a model saves,
loads, steps and exports exactly as with the plain layer. Inputs and outputs are time
major, (T, batch, ...), the loops' own layout: transposing (batch, T, 3H) projections
and their gradients cost about a tenth of a CharRNN training step.
"""

from keras import ops

from keras_ar import backend as fast


def supports(layer):
    """Whether `layer` is a GRU this module computes exactly (reset_after, biases, the
    default activations, no in-cell dropout)."""
    cell = getattr(layer, "cell", None)
    return (
        fast.has_fast_paths()
        and type(cell).__name__ == "GRUCell"
        and cell.reset_after
        and cell.use_bias
        and cell.activation.__name__ == "tanh"
        and cell.recurrent_activation.__name__ == "sigmoid"
        and not cell.dropout
        and not cell.recurrent_dropout
        and not layer.go_backwards
        and not layer.stateful
        and layer.return_sequences
    )


def gru_sequence(layer, inputs, differentiable=True):
    """`layer` (a GRU with `return_sequences=True`) over time-major `inputs` (T, batch, E):
    (T, batch, H), the transpose of `layer(transpose(inputs))`. `differentiable=False`
    (inference) runs a loop that keeps no residuals for the backward pass."""
    cell = layer.cell
    projected = ops.matmul(inputs, cell.kernel) + cell.bias[0]  # (T, batch, 3H)
    return _over_projections(layer, projected, differentiable)


def embedded_gru_sequence(layer, embeddings, ids, differentiable=True):
    """`gru_sequence(layer, take(embeddings, ids))` with the embedding folded into the
    input projection, E[ids] W + b = (E W + b)[ids]: one (V, E) x (E, 3H) matmul and a
    gather of its rows, instead of a (T·batch, E) x (E, 3H) matmul, its kernel gradient
    (a second one, transposed) and the embedding's scatter. CharRNN 1x128, embedding 32,
    one core, 256 windows of 32, one training step (loss and gradients, medians of 15):
    JAX 59-63 ms against 80-82, TensorFlow 53 against 61."""
    cell = layer.cell
    table = ops.matmul(embeddings, cell.kernel) + cell.bias[0]  # (V, 3H)
    return _over_projections(layer, ops.take(table, ids, axis=0), differentiable)


def _over_projections(layer, projected, differentiable):
    cell = layer.cell
    args = (projected, ops.convert_to_tensor(cell.recurrent_kernel), cell.bias[1])
    if not differentiable:
        return fast.compiled(_hidden)(*args)
    return fast.with_gradient(_forward, _backward, *args)


def _gates(tensor, units):
    """The z, r and h thirds of the last axis (gate-major work in the loop: slicing a
    (batch, 3H) matmul output column-wise every step is what made it slow)."""
    return tensor[..., :units], tensor[..., units : 2 * units], tensor[..., 2 * units :]


def step(kernels, biases, h_prev, projected):
    """One step from the gates' input projections `projected` = (x W_z + b_z + c_z,
    x W_r + b_r + c_r, x W_h + b_h), each (batch, H): h and what the backward step needs."""
    (u_z, u_r, u_h), (p_z, p_r, p_h) = kernels, projected
    z = ops.sigmoid(p_z + ops.matmul(h_prev, u_z))
    r = ops.sigmoid(p_r + ops.matmul(h_prev, u_r))
    inner_h = ops.matmul(h_prev, u_h) + biases
    candidate = ops.tanh(p_h + r * inner_h)
    h = candidate + z * (h_prev - candidate)
    return h, (z, r, candidate, inner_h)


def step_backward(transposed_kernel, dh, h_prev, saved):
    """(dh_{t-1} from this step, (d projected, d inner) each (batch, 3H)) for dh = dL/dh_t,
    with the recurrent kernel transposed once, before the loop: one (batch, 3H) x (3H, H)
    matmul (on JAX three per-gate matmuls made training slower at batch 100)."""
    z, r, candidate, inner_h = saved
    d_candidate = dh * (1.0 - z) * (1.0 - candidate * candidate)
    d_z = dh * (h_prev - candidate) * z * (1.0 - z)
    d_r = d_candidate * inner_h * r * (1.0 - r)
    d_inner_h = d_candidate * r
    d_inner = ops.concatenate([d_z, d_r, d_inner_h], axis=-1)
    dh_prev = dh * z + ops.matmul(d_inner, transposed_kernel)
    return dh_prev, (ops.concatenate([d_z, d_r, d_candidate], axis=-1), d_inner)


def _loop(projected, recurrent_kernel, recurrent_bias, residuals):
    """(the initial state, h for all steps (T, batch, H), and, if `residuals`, what
    `step_backward` needs of every step)."""
    steps, batch = ops.shape(projected)[0], ops.shape(projected)[1]
    units = recurrent_kernel.shape[0]
    initial = ops.zeros((batch, units), projected.dtype)
    kernels = _gates(recurrent_kernel, units)
    c_z, c_r, c_h = _gates(recurrent_bias, units)
    p_z, p_r, p_h = _gates(projected, units)

    def body(h_prev, x_t):
        h, saved = step(kernels, c_h, h_prev, x_t)
        return h, ((h, *saved) if residuals else (h,))

    _, (hidden, *saved) = fast.scan(body, initial, (p_z + c_z, p_r + c_r, p_h), steps,
                                    (projected.dtype,) * (5 if residuals else 1))
    return initial, hidden, tuple(saved)


def _hidden(projected, recurrent_kernel, recurrent_bias):
    """h for all steps (T, batch, H) (inference: no residuals are written)."""
    return _loop(projected, recurrent_kernel, recurrent_bias, residuals=False)[1]


def _forward(projected, recurrent_kernel, recurrent_bias):
    """h for all steps (T, batch, H), and the residuals of the backward pass."""
    initial, hidden, saved = _loop(projected, recurrent_kernel, recurrent_bias, residuals=True)
    previous = ops.concatenate([initial[None], hidden[:-1]], axis=0)
    return hidden, (previous, saved, recurrent_kernel)


def _backward(residuals, upstream):
    """Gradients of (projected, recurrent_kernel, recurrent_bias) for dL/dh = `upstream`."""
    previous, saved, recurrent_kernel = residuals
    units = recurrent_kernel.shape[0]
    transposed = ops.transpose(recurrent_kernel)

    def body(dh_next, xs):
        d_out, h_prev, *step_saved = xs
        return step_backward(transposed, d_out + dh_next, h_prev, step_saved)

    _, (d_projected, d_inner) = fast.scan(
        body, ops.zeros_like(previous[0]), (upstream, previous, *saved), ops.shape(previous)[0],
        (previous.dtype,) * 2, reverse=True,
    )
    flat_inner = ops.reshape(d_inner, (-1, 3 * units))
    d_kernel = ops.matmul(ops.transpose(ops.reshape(previous, (-1, units))), flat_inner)
    return d_projected, d_kernel, ops.sum(flat_inner, axis=0)
