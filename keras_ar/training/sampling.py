"""Samples of a trained run written to a file: a PNG grid (images) or text (CharRNN)."""

import math
from pathlib import Path

import numpy as np

from keras_ar import compiled, files, models


def sample(run, out, num_samples=64, seed=0, temperature=1.0, length=200, prompt="", columns=8):
    """Writes a PNG grid (image models) or a text file (CharRNN); returns the path."""
    from keras_ar.training.model_kinds import kind_of, model_kind
    from keras_ar.training.runs import load_run

    model, config = load_run(run)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if model_kind(kind_of(model)).text:
        texts = model.generate(prompt=prompt, max_length=length, num_samples=num_samples,
                               seed=seed, temperature=temperature)
        # long texts (tiny_shakespeare) are separated by a rule, names one per line
        separator = "\n\n----\n\n" if config is not None and config.data == "tiny_shakespeare" else "\n"
        files.write_text(out, separator.join(texts) + "\n")
        return out
    from keras_ar.images import save_image_grid

    values = np.asarray(compiled.compiled_sampler(model)(
        num_samples, seed=seed, temperature=temperature), "float32")
    save_image_grid(out, ink(model, values).reshape(-1, *_grid_shape(model)), columns=columns,
                    scale=4)
    return out


def ink(model, values):
    """Samples as ink in [0, 1] (the grid draws 1 dark)."""
    if getattr(model, "num_categories", None):
        return values / max(model.num_categories - 1, 1)
    if isinstance(model, models.RNADE):
        return 1.0 - np.clip(values, 0.0, 1.0)  # real-valued faces: bright = light
    return values


def _grid_shape(model):
    if model.image_shape is not None:
        return tuple(model.image_shape)
    n = model.input_dim
    side = int(round(math.sqrt(n)))
    return (side, n // side) if side * (n // side) == n else (1, n)
