"""Autoregressive masks from degrees (MADE, Germain et al. 2015).

A unit of degree k may depend on inputs 1..k. Hidden connections need
`in_degree <= out_degree`; output connections need the strict `in_degree < out_degree`,
so output i never sees input i or anything after it. Degrees of the inputs are their
positions in the ordering, 1..n.
"""

import keras
import numpy as np
from keras import ops

from keras_ar import backend as fast


def validate_ordering(ordering, input_dim):
    """Returns `ordering` as an int array after checking it is a permutation of n."""
    if ordering is None:
        return np.arange(input_dim)
    order = np.asarray(ordering)
    if order.ndim != 1 or order.shape[0] != input_dim:
        raise ValueError(
            f"`ordering` must be a permutation of range({input_dim}); got an array of "
            f"shape {order.shape}."
        )
    if not np.issubdtype(order.dtype, np.integer) or not np.array_equal(
        np.sort(order), np.arange(input_dim)
    ):
        raise ValueError(
            f"`ordering` must be a permutation of range({input_dim}) (each index once)."
        )
    return order.astype("int64")


def validate_orderings(orderings, input_dim):
    """A non-empty sequence of orderings, each checked by `validate_ordering`."""
    if isinstance(orderings, (str, bytes)) or not hasattr(orderings, "__len__") or len(orderings) == 0:
        raise ValueError(
            "`orderings` must be a non-empty sequence of permutations of "
            f"range({input_dim}), e.g. `model.random_orderings(8)`; got {orderings!r:.80}."
        )
    return [validate_ordering(o, input_dim) for o in orderings]


def create_degrees(input_dim, hidden_units, seed=0, hidden_degrees="random"):
    """Degrees of the input (1..n) and of every hidden layer.

    Args:
        input_dim: n, the number of autoregressive dimensions.
        hidden_units: sizes of the hidden layers.
        seed: seed of the random hidden degrees.
        hidden_degrees: "random" (MADE: uniform in [min degree of the layer below,
            n - 1]) or "equal" (cycled, deterministic).

    Returns:
        A list of int arrays: input degrees, then one per hidden layer.
    """
    rng = np.random.default_rng(seed)
    degrees = [np.arange(1, input_dim + 1)]
    for units in hidden_units:
        low = min(int(degrees[-1].min()), input_dim - 1)
        high = max(input_dim - 1, 1)
        if hidden_degrees == "random":
            layer = rng.integers(low, high + 1, size=units)
        elif hidden_degrees == "equal":
            layer = low + np.arange(units) % (high - low + 1)
        else:
            raise ValueError(
                f"hidden_degrees must be 'random' or 'equal', got {hidden_degrees!r}."
            )
        degrees.append(layer)
    return degrees


def create_masks(degrees):
    """Masks `(in, out)` for the hidden layers (<=) and the output layer (strict <).

    The output layer's degrees are the input degrees again, so the last mask is
    `degrees[-1][:, None] < degrees[0][None, :]`.
    """
    masks = [
        (d_in[:, None] <= d_out[None, :]).astype("float32")
        for d_in, d_out in zip(degrees[:-1], degrees[1:])
    ]
    masks.append((degrees[-1][:, None] < degrees[0][None, :]).astype("float32"))
    return masks


def strictly_lower_mask(input_dim):
    """FVSBN mask `(in, out)`: input j feeds output i only when j < i."""
    return create_masks([np.arange(1, input_dim + 1)])[0]


def random_prefix_masks(batch_size, n, seed):
    """Masks of S = o_<d for a uniform ordering o and d ~ U{0..n-1}, `(batch, n)`.

    Drawn without sorting: one dim j is held out, every other dim is observed iff its
    uniform key is below a uniform threshold u, so P(|S| = d) = integral of
    C(n-1, d) u^d (1-u)^(n-1-d) du = 1/n and, given d, S is uniform: the law of o_<d
    (two argsorts drew the same law, several times slower under XLA). `seed`: an int
    (each draw gets its own seed from it) or a `keras.random.SeedGenerator`.
    """
    seeds = (seed, seed + 1) if isinstance(seed, int) else (seed, seed)
    keys = fast.uniform((batch_size, n + 1), seed=seeds[0])  # n keys, then u
    held_out = ops.one_hot(keras.random.randint((batch_size,), 0, n, seed=seeds[1]), n)
    return ops.cast(keys[:, :n] < keys[:, n:], "float32") * (1.0 - held_out)
