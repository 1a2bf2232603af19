"""Checks on user input, run before any computation on concrete (non-symbolic) data."""

import numpy as np
from keras import ops


def to_numpy_or_none(x):
    """The concrete value of `x` as numpy, or None for symbolic/traced tensors."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (list, tuple)):
        return np.asarray(x)
    try:
        return np.asarray(ops.convert_to_numpy(x))
    except Exception:  # symbolic tensors inside a traced function
        return None


def check_positive_int(name, value, minimum=1):
    if isinstance(value, bool) or int(value) != value or int(value) < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def check_temperature(temperature):
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(
            f"`temperature` must be a finite number > 0, got {temperature!r}. "
            "Use `GreedySampler` for the most likely value."
        )
    return float(temperature)


def check_inputs(x, kind, input_dim=None, image_shape=None, num_categories=None):
    """Validates model inputs and returns them as a numpy array of the model's dtype.

    Args:
        x: data, `(batch, input_dim)` or `(batch, *image_shape)`; token ids
            `(batch, T)` for kind "tokens".
        kind: "binary", "categorical", "real" or "tokens".
    """
    arr = to_numpy_or_none(x)
    if arr is None:
        return x
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise TypeError(
            f"Expected a numeric array, got dtype {arr.dtype}. For text, encode it first "
            "with `Vocabulary.encode`."
        )
    if arr.dtype.kind == "b":
        arr = arr.astype("float32")
    if arr.ndim == 0 or arr.shape[0] == 0:
        raise ValueError(f"Expected a non-empty batch of examples, got shape {arr.shape}.")
    if kind == "tokens":
        return _check_tokens(arr, num_categories)
    arr = _check_shape(arr, input_dim, image_shape)
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr)
        if bad.any():
            raise ValueError(
                f"Input contains {int(bad.sum())} NaN or infinite value(s) "
                f"(first in example {int(np.argwhere(bad)[0][0])}). Clean or drop them."
            )
    if kind == "binary":
        outside = (arr != 0) & (arr != 1)
        if outside.any():
            raise ValueError(
                f"This model is for binary data, but {int(outside.sum())} value(s) are "
                f"not 0 or 1 (values range over [{arr.min()}, {arr.max()}]). Binarize "
                "first, e.g. `(x > 0.5).astype('float32')`, or use CategoricalNADE/RNADE."
            )
        return arr.astype("float32")
    if kind == "categorical":
        if arr.dtype.kind == "f" and np.any(arr != np.round(arr)):
            raise ValueError(
                "Categorical inputs must be integers; got non-integer values that a cast "
                "would silently truncate. Quantize explicitly, e.g. `np.floor(x * K)`."
            )
        outside = (arr < 0) | (arr >= num_categories)
        if outside.any():
            raise ValueError(
                f"{int(outside.sum())} value(s) are outside [0, {num_categories}) "
                f"(range [{arr.min()}, {arr.max()}]). Quantize to num_categories levels."
            )
        return arr.astype("int32")
    return arr.astype("float32")


def _check_shape(arr, input_dim, image_shape):
    if arr.ndim == 1:
        raise ValueError(
            f"Expected a batch of shape (batch, {input_dim}), got shape {arr.shape}. "
            "For a single example use `x[None]`."
        )
    if arr.ndim > 2:
        if image_shape is not None and tuple(arr.shape[1:]) == tuple(image_shape):
            return arr.reshape(arr.shape[0], -1)
        if int(np.prod(arr.shape[1:])) == input_dim and image_shape is None:
            return arr.reshape(arr.shape[0], -1)
        raise ValueError(
            f"Expected shape (batch, {input_dim})"
            + (f" or (batch, *{tuple(image_shape)})" if image_shape else "")
            + f", got {arr.shape}."
        )
    if arr.shape[1] != input_dim:
        raise ValueError(
            f"Expected {input_dim} features per example, got {arr.shape[1]} "
            f"(input shape {arr.shape})."
        )
    return arr


def _check_tokens(arr, vocab_size):
    if arr.ndim != 2:
        raise ValueError(
            f"Expected token ids of shape (batch, length), got shape {arr.shape}. "
            "Encode text with `Vocabulary.encode` and add a batch axis."
        )
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError("Token ids must be integers (no NaN, no fractions).")
    if np.any(arr >= vocab_size):
        raise ValueError(
            f"Token ids must be < vocab_size={vocab_size}; got max id {arr.max()}."
        )
    return arr.astype("int32")
