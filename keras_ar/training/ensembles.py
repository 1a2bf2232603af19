"""Mixtures of trained runs: log p(x) = log sum_k w_k p_k(x), weights uniform, given
or fitted by EM on the validation split."""

import numpy as np
from scipy.special import logsumexp

from keras_ar import compiled
from keras_ar.training.evaluation import batched_log_prob, image_nll


def fit_mixture_weights(log_probs, iterations=200, tolerance=1e-9):
    """Mixture weights w maximizing sum_n log sum_k w_k p_k(x_n) (EM; the objective is
    concave in w): r_kn = w_k p_k(x_n) / sum_j w_j p_j(x_n), then w_k = mean_n r_kn.
    `log_probs` is (K, N), log p_k(x_n) in nats. Returns w (K,), summing to 1."""
    log_probs = np.asarray(log_probs, "float64")
    weights = np.full(log_probs.shape[0], 1.0 / log_probs.shape[0])
    previous = -np.inf
    for _ in range(iterations):
        joint = log_probs + np.log(np.maximum(weights, 1e-300))[:, None]
        total = logsumexp(joint, axis=0)
        weights = np.exp(joint - total).mean(axis=1)
        value = total.mean()
        if value - previous < tolerance:
            break
        previous = value
    return weights / weights.sum()


def log_mean_exp(values, axis=0):
    """log (1/K) sum_k exp(values_k) along `axis` of length K: the log-probability of an
    equal-weight mixture (of orderings, masks or runs) from its members' log-probabilities."""
    values = np.asarray(values)
    return logsumexp(values, axis=axis) - np.log(values.shape[axis])


def evaluate_ensemble(runs, split="valid", batch_size=100, weights=None):
    """Mixture of several runs on the same image data (e.g. NADEs trained with different
    orderings): log p(x) = log sum_k w_k p_k(x), by log-sum-exp, never by averaging
    logits. `weights`: None (uniform, w_k = 1/K), a list, or "fit" (maximum likelihood
    on the *validation* split by EM, then used on `split`). Returns the ensemble's
    result and each member's, in nats per example."""
    if len(runs) < 2:
        raise ValueError("An ensemble needs at least two runs.")
    models, data = _load_members(runs)
    log_probs = [compiled.compiled_log_prob(model) for model in models]

    def member_log_probs(split_name):
        x = data.load(split_name)
        return np.stack([batched_log_prob(model, x, batch_size, fn)
                         for model, fn in zip(models, log_probs)])  # (K, N)

    fitted_on = None
    if isinstance(weights, str):
        if weights != "fit":
            raise ValueError(f"weights must be None, a list or 'fit', got {weights!r}.")
        weights, fitted_on = fit_mixture_weights(member_log_probs("valid")), "valid"
    elif weights is not None:
        weights = np.asarray(weights, "float64")
        if weights.shape != (len(runs),) or np.any(weights < 0) or not weights.sum() > 0:
            raise ValueError(
                f"weights must be {len(runs)} non-negative numbers, got {weights.tolist()}."
            )
        weights = weights / weights.sum()
    else:
        weights = np.full(len(runs), 1.0 / len(runs))
    stacked = member_log_probs(split)
    mixture = logsumexp(stacked + np.log(np.maximum(weights, 1e-300))[:, None], axis=0)
    result = {"split": split, "examples": int(stacked.shape[1]),
              "members": [{"run": _run_name(run), "nll_nats": float(-values.mean())}
                          for run, values in zip(runs, stacked)],
              "weights": [float(w) for w in weights], "weights_fitted_on": fitted_on}
    result.update(image_nll(float(-mixture.mean()), data))
    return result


def _load_members(runs):
    from keras_ar.training.data import PreparedData
    from keras_ar.training.runs import load_run

    models, data = [], None
    for run in runs:
        model, config = load_run(run)
        if config is None:
            raise ValueError(f"{run}: no config.json beside the model.")
        member_data = PreparedData(config)
        if member_data.is_text:
            raise ValueError("Ensembles are for image models (same examples, nats per image).")
        if data is not None and (member_data.name, member_data.options) != (data.name, data.options):
            raise ValueError("All runs of an ensemble must use the same data set and options.")
        data = member_data
        models.append(model)
    return models, data


def _run_name(run):
    """The run as given when relative, else its folder name (no machine paths in results)."""
    from pathlib import Path

    path = Path(run)
    return str(path) if not path.is_absolute() else path.name
