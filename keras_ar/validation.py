"""Checks on user input, run before any computation on concrete (non-symbolic) data."""

import os
import sys

import keras
import numpy as np
from keras import ops

_FLOAT32_TINY = float(np.finfo("float32").tiny)


def to_numpy_or_none(x):
    """The concrete value of `x` as numpy, or None for symbolic/traced tensors."""
    if isinstance(x, np.ndarray):
        return x
    if x is None:
        raise TypeError("Expected an array of examples, got None.")
    if isinstance(x, (list, tuple, int, float)):
        try:
            return np.asarray(x)
        except ValueError as error:  # ragged nested lists
            raise ValueError(
                f"Could not turn the input into one array ({error}). Rows must all have "
                "the same length: pad them (token ids: pad with -1 at the end)."
            ) from None
    try:
        return np.asarray(ops.convert_to_numpy(x))
    except Exception:  # symbolic tensors inside a traced function
        return None


def check_positive_int(name, value, minimum=1):
    """`value` as an int after checking it is an integer >= `minimum` (bools rejected)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(
            f"`{name}` must be an integer >= {minimum}, got {value!r} "
            f"(type {type(value).__name__})."
        )
    if not np.isfinite(value) or int(value) != value or int(value) < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def check_temperature(temperature):
    """`temperature` as a float after checking it is a finite number > 0."""
    if isinstance(temperature, (bool, np.bool_)):
        raise TypeError(f"`temperature` must be a number > 0, got {temperature!r}.")
    try:
        value = float(np.asarray(temperature, dtype="float64").reshape(()))
    except (TypeError, ValueError):
        raise TypeError(
            f"`temperature` must be one number > 0, got {temperature!r}."
        ) from None
    if not np.isfinite(value) or value <= 0:
        raise ValueError(
            f"`temperature` must be a finite number > 0, got {temperature!r}. "
            "Use `GreedySampler` (sampler='greedy') for the most likely value."
        )
    if value < _FLOAT32_TINY:  # a float32 denormal may flush to 0 and give 0 / 0
        raise ValueError(
            f"`temperature` {temperature!r} is below the float32 range "
            f"({_FLOAT32_TINY:.3g}); use `GreedySampler` (sampler='greedy') instead."
        )
    return value


_FLOAT32_MAX = float(np.finfo("float32").max)


def check_inputs(x, kind, input_dim=None, image_shape=None, num_categories=None):
    """Validates model inputs and returns them as a numpy array of the model's dtype.

    Nothing is computed on invalid data: every problem raises a ValueError (bad
    values or shapes) or TypeError (non-numeric data) saying what is wrong and how
    to fix it. Symbolic tensors (inside a traced function) are returned unchanged.

    Args:
        x: data, `(batch, input_dim)` or `(batch, *image_shape)`; token ids
            `(batch, T)` for kind "tokens".
        kind: "binary", "categorical", "real" or "tokens".
    """
    arr = to_numpy_or_none(x)
    if arr is None:
        return x
    if arr.dtype == object or arr.dtype.kind in "USVMmc":
        raise TypeError(
            f"Expected a real-valued numeric array, got dtype {arr.dtype}. For text, "
            "encode it first with `Vocabulary.encode`/`encode_batch`."
        )
    if arr.dtype.kind == "b":
        arr = arr.astype("float32")
    if arr.ndim == 0 or arr.shape[0] == 0:
        raise ValueError(
            f"Expected a non-empty batch of examples, got shape {arr.shape} "
            "(empty data or a scalar)."
        )
    if kind == "tokens":
        return _check_tokens(arr, num_categories)
    arr = _check_shape(arr, input_dim, image_shape)
    if arr.dtype.kind == "f" and kind != "binary":
        _check_finite(arr)
    if kind == "binary":
        # values that are 0 or 1 are finite: NaN/inf are looked for only to say so
        outside = (arr != 0) & (arr != 1)
        if outside.any():
            if arr.dtype.kind == "f":
                _check_finite(arr)
            raise ValueError(
                f"This model is for binary data, but {int(outside.sum())} of {arr.size} "
                f"value(s) are not 0 or 1 (values range over [{arr.min()}, {arr.max()}]). "
                "Binarize first, e.g. `(x > 0.5).astype('float32')` (or sample "
                "`x > np.random.uniform(size=x.shape)`), or use CategoricalNADE/RNADE."
            )
        return arr.astype("float32", copy=False)
    if kind == "categorical":
        _check_integral(arr, "Categorical inputs", f"np.floor(x * {num_categories})")
        outside = (arr < 0) | (arr >= num_categories)
        if outside.any():
            raise ValueError(
                f"{int(outside.sum())} value(s) are outside [0, {num_categories}) "
                f"(range [{arr.min()}, {arr.max()}]). Quantize the data to "
                f"num_categories={num_categories} levels, e.g. "
                f"`keras_ar.datasets.quantize(x, {num_categories})`."
            )
        return arr.astype("int32")
    if arr.dtype.kind == "f" and arr.dtype.itemsize > 4:
        too_large = np.abs(arr) > _FLOAT32_MAX
        if too_large.any():
            raise ValueError(
                f"{int(too_large.sum())} value(s) exceed the float32 range (max "
                f"{_FLOAT32_MAX:.3g}) and would become inf. Rescale the data."
            )
    return arr.astype("float32")


def nonfinite_summary(arr):
    """(count, index of the first) of the NaN/inf entries of `arr`, or None if all finite."""
    bad = ~np.isfinite(arr)
    return (int(bad.sum()), tuple(int(i) for i in np.argwhere(bad)[0])) if bad.any() else None


def _check_finite(arr):
    found = nonfinite_summary(arr)
    if found:
        raise ValueError(
            f"Input contains {found[0]} NaN or infinite value(s) (first in "
            f"example {found[1][0]}). Clean or drop them, e.g. "
            "`x[np.isfinite(x).all(axis=1)]`."
        )


def _check_integral(arr, what, fix):
    if arr.dtype.kind == "f" and np.any(arr != np.round(arr)):
        count = int(np.sum(arr != np.round(arr)))
        raise ValueError(
            f"{what} must be integers; got {count} non-integer value(s) that a cast "
            f"would silently truncate. Quantize explicitly, e.g. `{fix}`."
        )


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
            f"(input shape {arr.shape}). Check that the data matches the model's "
            "input_dim (flatten images in raster order)."
        )
    return arr


def _check_tokens(arr, vocab_size):
    if arr.ndim != 2:
        raise ValueError(
            f"Expected token ids of shape (batch, length), got shape {arr.shape}. "
            "Encode text with `Vocabulary.encode` and add a batch axis."
        )
    if arr.shape[1] == 0:
        raise ValueError(f"Expected non-empty sequences, got shape {arr.shape}.")
    if arr.dtype.kind == "f":
        _check_finite(arr)
        _check_integral(arr, "Token ids", "vocabulary.encode(text)")
    if np.any(arr >= vocab_size):
        raise ValueError(
            f"Token ids must be < vocab_size={vocab_size}; got {int(np.sum(arr >= vocab_size))} "
            f"id(s) up to {arr.max()}. Encode with the model's own Vocabulary."
        )
    padding = arr < 0
    if padding.all():
        raise ValueError("Every position is padding (ids < 0): there is no token to score.")
    # padding must be at the end of a row: no token may follow a padding position
    if np.any(padding[:, :-1] & ~padding[:, 1:]):
        rows = np.flatnonzero(np.any(padding[:, :-1] & ~padding[:, 1:], axis=1))
        raise ValueError(
            f"Padding (ids < 0) must be at the end of each row; row(s) {rows[:5].tolist()} "
            "have tokens after padding. Right-pad with `Vocabulary.encode_batch`."
        )
    return arr.astype("int32")


def check_step_values(x_prev, kind, num_categories=None):
    """Value checks of one step's `x_prev` (a concrete `(batch,)` array)."""
    arr = np.asarray(x_prev)
    if arr.dtype.kind == "f":
        _check_finite(arr)
    if kind == "binary" and np.any((arr != 0) & (arr != 1)):
        raise ValueError(f"`x_prev` must be 0 or 1 for a binary model, got {np.unique(arr)[:5]}.")
    if kind in ("categorical", "tokens") and np.any((arr < 0) | (arr >= num_categories)):
        raise ValueError(
            f"`x_prev` must hold ids in [0, {num_categories}), got range "
            f"[{arr.min()}, {arr.max()}]."
        )


def user_stacklevel():
    """The `stacklevel` for `warnings.warn` that names the first frame outside keras-ar
    and Keras: the user's line, however deep the call is inside the package."""
    inside = tuple(os.path.dirname(os.path.abspath(path)) + os.sep for path in (keras.__file__, __file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(inside):
        frame, level = frame.f_back, level + 1
    return level
