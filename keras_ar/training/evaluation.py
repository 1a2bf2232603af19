"""NLL of a model or a saved run on one split, in nats per example (per character)."""

import math

import numpy as np

from keras_ar import compiled


def batched_log_prob(model, x, batch_size, log_prob=None):
    """log p(x) per example (float64 numpy), after one input check, `batch_size` at a
    time through the compiled `log_prob` (pass one to reuse it across calls)."""
    model.check_inputs(x)
    log_prob = log_prob or compiled.compiled_log_prob(model)
    return np.concatenate(
        [np.asarray(log_prob(x[i : i + batch_size]), "float64") for i in range(0, len(x), batch_size)]
    )


def evaluate_model(model, data, split, batch_size=None):
    """NLL of a split in nats per example (per character for text) and bits/dim.

    Image models are evaluated 100 examples at a time: a NADE's (batch, n, d)
    hidden tensor is 157 MB at batch 100 (n=784, d=500); larger batches only cost memory.
    """
    x = data.load(split)
    batch_size = batch_size or (500 if data.is_text else 100)
    total = float(np.sum(batched_log_prob(model, x, batch_size)))
    result = {"split": split, "examples": int(len(x))}
    if data.is_text:
        units = data.units(x)
        nats = -total / units
        result.update(nats_per_char=nats, bits_per_char=nats / math.log(2), characters=int(units))
        return result
    result.update(image_nll(-total / len(x), data))
    return result


def image_nll(nll, data):
    """`nll_nats` and `bits_per_dim` (+ both in pixel space for dequantized data)."""
    result = {"nll_nats": nll, "bits_per_dim": nll / (data.input_dim * math.log(2))}
    if data.log_jacobian:
        pixel = nll + data.log_jacobian
        result.update(
            nll_nats_pixel_space=pixel,
            bits_per_dim_pixel_space=pixel / (data.input_dim * math.log(2)),
        )
    return result


def evaluate(run, split="valid", data=None, data_options=None):
    """Evaluate a run folder or `.keras` file on a split (data set and options from the
    run's config.json unless given)."""
    from keras_ar.training.config import TrainConfig
    from keras_ar.training.data import PreparedData
    from keras_ar.training.model_kinds import kind_of
    from keras_ar.training.runs import load_run

    model, config = load_run(run)
    if config is None:
        if data is None:
            raise ValueError(
                f"{run}: no config.json beside the model; say which data set to use (--data)."
            )
        config = TrainConfig(model=kind_of(model), data=data)
    if data is not None:
        config.data = data
    if data_options is not None:
        config.data_options = data_options
    prepared = PreparedData(config)
    if prepared.is_text:
        prepared.vocabulary = model.vocabulary or prepared.vocabulary
    return evaluate_model(model, prepared, split)
