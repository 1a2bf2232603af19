from keras import ops


def buffer_initial_state(batch_size, input_dim):
    """State of models that re-read all previous values: the values so far + position."""
    return {
        "inputs": ops.zeros((batch_size, input_dim)),
        "position": ops.zeros((batch_size,), "int32"),
    }


def buffer_write_previous(state, x_prev, input_dim):
    """Writes x_prev at position - 1 (nothing at position 0); returns the new inputs."""
    position = state["position"]
    previous = ops.one_hot(ops.maximum(position - 1, 0), input_dim)  # (batch, n)
    previous = previous * ops.cast(position > 0, "float32")[:, None]
    return state["inputs"] + previous * ops.expand_dims(ops.cast(x_prev, "float32"), -1)
