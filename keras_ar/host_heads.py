"""Host-side (float64 numpy) probabilities of the discretized logistic mixture head.

For runtimes that get the head's outputs from an exported `step` (weights pi_c, means
mu_c, scales s_c) and for the codec, which needs the whole pmf of every pixel computed
by one deterministic code path in the encoder and the decoder. The formula is the one
of `keras_ar.distributions.DiscretizedLogisticMixture`, in float64:
log P_c(k) = log sigmoid(b) + log sigmoid(-a) + log(1 - e^(-1/s)),  a = (k - 1/2 - mu)/s,
b = a + 1/s, with the edge bins k = 0 (log sigmoid(b)) and k = K - 1 (log sigmoid(-a)).
"""

import numpy as np


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def _log1mexp(z):
    """log(1 - exp(-z)) for z > 0."""
    small = np.minimum(z, np.log(2.0))
    large = np.maximum(z, np.log(2.0))
    return np.where(z < np.log(2.0), np.log(-np.expm1(-small)), np.log1p(-np.exp(-large)))


def discretized_logistic_log_probs(weights, means, scales, values, num_values):
    """log P(x = values), `(...)`, for mixture outputs `(..., C)` and integer values `(...)`."""
    weights = np.asarray(weights, np.float64)
    means = np.asarray(means, np.float64)
    inverse_scale = 1.0 / np.asarray(scales, np.float64)
    k = np.asarray(values, np.float64)[..., None]
    lower = (k - 0.5 - means) * inverse_scale
    upper = lower + inverse_scale
    log_upper, log_survival = _log_sigmoid(upper), _log_sigmoid(-lower)
    interior = log_upper + log_survival + _log1mexp(inverse_scale)
    component = np.where(k <= 0, log_upper, np.where(k >= num_values - 1, log_survival, interior))
    with np.errstate(divide="ignore"):
        log_weights = np.log(weights)
    joint = log_weights + component
    top = np.max(joint, axis=-1, keepdims=True)
    return (top + np.log(np.sum(np.exp(joint - top), axis=-1, keepdims=True)))[..., 0]


def discretized_logistic_probs(weights, means, scales, values, num_values):
    """P(x = values), float64 `(...)`."""
    return np.exp(discretized_logistic_log_probs(weights, means, scales, values, num_values))


def discretized_logistic_pmf(weights, means, scales, num_values):
    """The whole pmf, `(..., K)` float64, from mixture outputs `(..., C)`."""
    values = np.arange(num_values)
    expand = (slice(None),) * (np.ndim(weights) - 1) + (None, slice(None))
    return discretized_logistic_probs(
        np.asarray(weights)[expand], np.asarray(means)[expand], np.asarray(scales)[expand],
        values.reshape((1,) * (np.ndim(weights) - 1) + (num_values,)), num_values,
    )
