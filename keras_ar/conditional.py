"""Conditionals given any observed set: log p(x_missing | x_observed) and its sampler.

Order-agnostic models (`exact_conditionals = True`, e.g. `DeepNADE`) have a
conditional for every observed set, so they use an ordering that puts the observed
dimensions first (then the missing ones in the model's ordering):
log p(x_M | x_O) = sum_{i in M, in order} log p(x_i | x_O, x_{M before i}), exact.
Their state holds the known values and their mask (`model.evidence_state`), so the
sampler starts from x_O and steps along the missing dimensions.

Fixed-order models can only condition on what precedes a dimension in their ordering.
They give the clamped answer: sum_{i in M} log p(x_i | x_<i) with observed values in
x_<i, which is the log-probability of the clamped sampler's output and equals
log p(x_M | x_O) only when x_O is a prefix of the ordering; otherwise evidence later
in the ordering is ignored, and a `ClampedConditionalWarning` says so.
"""

import warnings

import numpy as np
from keras import ops

from keras_ar.validation import to_numpy_or_none, user_stacklevel


class ClampedConditionalWarning(UserWarning):
    """A fixed-order model was conditioned on values that are not a prefix of its ordering."""


def check_observed(model, observed, batch_size):
    """`observed` as a bool `(batch, n)` numpy array (data order) after checking it."""
    if model.input_dim is None:
        raise ValueError(
            f"Conditioning on a mask is for image models; {type(model).__name__} continues "
            "a prompt instead (sample(given=...))."
        )
    array = to_numpy_or_none(observed)
    if array is None:
        return observed
    if array.dtype != bool:
        raise TypeError(f"`observed` must be a boolean mask (True = observed), got dtype {array.dtype}.")
    array = array.reshape(array.shape[0], -1) if array.ndim > 1 else array[None]
    if array.shape[1] != model.input_dim or array.shape[0] not in (1, batch_size):
        raise ValueError(
            f"`observed` must have shape ({batch_size}, {model.input_dim}) (or one row, or the "
            f"image shape), got {np.shape(observed)}."
        )
    return np.broadcast_to(array, (batch_size, model.input_dim))


def is_prefix(observed_steps):
    """True when, in every row of a step-order mask, the observed dims come first."""
    steps = np.asarray(observed_steps).astype("int8")  # (batch, n)
    return bool(np.all(np.diff(steps, axis=1) <= 0))


def warn_if_clamped(model, observed_steps, what):
    """Warns when a fixed-order model's answer is the clamped approximation."""
    array = to_numpy_or_none(observed_steps)
    if array is not None and not is_prefix(array):
        warnings.warn(
            f"{what} of {type(model).__name__} is the clamped approximation: the observed "
            "values are not a prefix of the model's ordering, so missing values are "
            "conditioned only on observations that precede them in the ordering. Use an "
            "order-agnostic model (DeepNADE) for exact conditionals given any mask.",
            ClampedConditionalWarning,
            stacklevel=user_stacklevel(),
        )


def conditional_log_prob(model, x, observed):
    """log p(x_missing | x_observed), `(batch,)`; exact for order-agnostic models,
    the clamped score (warned) for fixed-order ones unless x_observed is a prefix."""
    x = model.check_inputs(x)
    model.ensure_built()
    batch = ops.shape(x)[0]
    observed = check_observed(model, observed, batch)
    if getattr(model, "exact_conditionals", False):
        return model.exact_conditional_log_prob(x, observed)
    observed_steps = np.asarray(observed)[:, model.ordering]
    warn_if_clamped(model, observed_steps, "conditional_log_prob")
    steps = ops.cast(model.to_step_order(x), model.distribution.value_dtype)
    scores = model.distribution.log_prob(model.conditionals(steps), steps)  # (batch, n)
    missing = ops.convert_to_tensor(1.0 - observed_steps.astype("float32"))  # a tensor: torch's own product
    return ops.sum(scores * missing, axis=-1)


def given_sampler(model, sampler, observed_steps):
    """The sampler for `sample(given=...)`: exact from the evidence state for
    order-agnostic models; otherwise `sampler` itself (clamped, warned when the
    observed set is not a prefix of the ordering)."""
    if not getattr(model, "exact_conditionals", False):
        warn_if_clamped(model, observed_steps, "sample(given=..., observed=...)")
        return sampler
    cls = _EXACT_SAMPLERS.get(type(sampler))
    if cls is None:  # one subclass per sampler class, so compiled loops are cached
        cls = type(f"Exact{type(sampler).__name__}", (type(sampler),), {"run": _run_exact, "from_evidence": True})
        _EXACT_SAMPLERS[type(sampler)] = cls
    exact = cls.__new__(cls)
    exact.__dict__.update(vars(sampler))
    return exact


_EXACT_SAMPLERS = {}


def _run_exact(self, model, noise, given=None, observed=None, initial_noise=None):
    return run_from_evidence(model, noise, given, observed, self)


def run_from_evidence(model, noise, given, observed, sampler):
    """Steps along the model's ordering from `model.evidence_state(given, observed)`.

    Args:
        noise: `(batch, n, noise_size)` uniforms, step order.
        given, observed: `(batch, n)` values and mask, step order.
        sampler: a `Sampler` (its `next_value` turns params and noise into a value).

    Returns:
        `(batch, n)` completed values in step order (observed ones kept).
    """
    batch_size, length = ops.shape(noise)[0], model.input_dim
    dtype = model.distribution.value_dtype
    observed_steps = ops.cast(observed, "bool")
    given_steps = ops.cast(given, dtype)
    given_steps = ops.where(observed_steps, given_steps, ops.zeros_like(given_steps))
    state = model.evidence_state(
        model.to_data_order(given_steps), model.to_data_order(ops.cast(observed_steps, "float32"))
    )

    def body(i, carry):
        state, x_prev, values = carry
        params, state = model.step(state, x_prev)
        value = sampler.next_value(model.distribution, params, ops.take(noise, i, axis=1))
        value = ops.where(ops.take(observed_steps, i, axis=1), ops.take(given_steps, i, axis=1), value)
        value = ops.cast(value, dtype)
        column = ops.expand_dims(ops.one_hot(i, length) > 0, 0)  # write column i, no scatter
        values = ops.where(column, ops.expand_dims(value, 1), values)
        return state, value, values

    initial = (state, ops.zeros((batch_size,), dtype), ops.zeros((batch_size, length), dtype))
    _, _, values = ops.fori_loop(0, length, body, initial)
    return values
