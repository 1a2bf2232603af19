"""A Keras GRU layer over a whole sequence: one input matmul, a lean loop, its own backward.

h_t = z_t h_{t-1} + (1 - z_t) tanh(x_t W_h + b_h + r_t (h_{t-1} U_h + c_h)),
[z_t, r_t] = sigmoid(x_t W_zr + b_zr + h_{t-1} U_zr + c_zr)   (Keras' GRU, reset_after=True).

`keras.layers.GRU` multiplies x_t by the kernel inside every step, and automatic
differentiation of its loop adds h_{t-1}^T d_t to the recurrent kernel's gradient inside
every step of the backward loop. Here the input projections of all steps are one matmul
before the loop, the backward loop carries only dh (one (batch, 3H) x (3H, H) matmul per
step), and the recurrent kernel's gradient is one (H, T·batch) x (T·batch, 3H) matmul
after it. The weights are the layer's own (`kernel`, `recurrent_kernel`, `bias`), so a
model saves, loads, steps and exports exactly as with the plain layer.
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


def gru_sequence(layer, inputs):
    """`layer(inputs)` for a GRU layer with `return_sequences=True`: (batch, T, H)."""
    cell = layer.cell
    projected = ops.matmul(inputs, cell.kernel) + cell.bias[0]  # (batch, T, 3H)
    projected = ops.transpose(projected, (1, 0, 2))  # time major
    hidden = fast.with_gradient(
        _forward, _backward, projected, ops.convert_to_tensor(cell.recurrent_kernel), cell.bias[1]
    )
    return ops.transpose(hidden, (1, 0, 2))


def step(recurrent_kernel, recurrent_bias, h_prev, projected):
    """One step from the input projection `projected` (batch, 3H): h and what the
    backward step needs."""
    units = h_prev.shape[-1]
    inner = ops.matmul(h_prev, recurrent_kernel) + recurrent_bias
    z = ops.sigmoid(projected[:, :units] + inner[:, :units])
    r = ops.sigmoid(projected[:, units : 2 * units] + inner[:, units : 2 * units])
    inner_h = inner[:, 2 * units :]
    candidate = ops.tanh(projected[:, 2 * units :] + r * inner_h)
    h = candidate + z * (h_prev - candidate)
    return h, (z, r, candidate, inner_h)


def step_backward(recurrent_kernel, dh, h_prev, saved):
    """(dh_{t-1} from this step, d projected_t, d inner_t) for dh = dL/dh_t."""
    z, r, candidate, inner_h = saved
    d_candidate = dh * (1.0 - z) * (1.0 - candidate * candidate)
    d_z = dh * (h_prev - candidate) * z * (1.0 - z)
    d_r = d_candidate * inner_h * r * (1.0 - r)
    d_inner = ops.concatenate([d_z, d_r, d_candidate * r], axis=-1)
    d_projected = ops.concatenate([d_z, d_r, d_candidate], axis=-1)
    dh_prev = dh * z + ops.matmul(d_inner, ops.transpose(recurrent_kernel))
    return dh_prev, d_projected, d_inner


def _forward(projected, recurrent_kernel, recurrent_bias):
    """h for all steps (T, batch, H), and the residuals of the backward pass."""
    steps, batch = ops.shape(projected)[0], ops.shape(projected)[1]
    units = recurrent_kernel.shape[0]
    initial = ops.zeros((batch, units), projected.dtype)

    def body(h_prev, x_t):
        h, saved = step(recurrent_kernel, recurrent_bias, h_prev, x_t)
        return h, (h, *saved)

    _, (hidden, *saved) = fast.scan(body, initial, projected, steps, (projected.dtype,) * 5)
    previous = ops.concatenate([initial[None], hidden[:-1]], axis=0)
    return hidden, (previous, tuple(saved), recurrent_kernel)


def _backward(residuals, upstream):
    """Gradients of (projected, recurrent_kernel, recurrent_bias) for dL/dh = `upstream`."""
    previous, saved, recurrent_kernel = residuals

    def body(dh_next, xs):
        d_out, h_prev, *step_saved = xs
        dh_prev, d_projected, d_inner = step_backward(recurrent_kernel, d_out + dh_next, h_prev, step_saved)
        return dh_prev, (d_projected, d_inner)

    _, (d_projected, d_inner) = fast.scan(
        body, ops.zeros_like(previous[0]), (upstream, previous, *saved), ops.shape(previous)[0],
        (previous.dtype,) * 2, reverse=True,
    )
    units = recurrent_kernel.shape[0]
    flat_previous = ops.reshape(previous, (-1, units))
    flat_inner = ops.reshape(d_inner, (-1, 3 * units))
    d_kernel = ops.matmul(ops.transpose(flat_previous), flat_inner)
    return d_projected, d_kernel, ops.sum(flat_inner, axis=0)
