"""Training recipes: the Python API behind `keras-ar train / evaluate / sample`.

    from keras_ar.training import train
    results = train({"model": "nade", "data": "digits", "hidden_units": 64}, "runs/nade")

Modules, one job each:
- `config`: `TrainConfig`, the recipe schema (with `phases` for continuations);
- `model_kinds`: the model kinds by name (`MODEL_KINDS`; add a kind there);
- `data`: `PreparedData`, a data set's splits as training arrays;
- `schedule`: the optimizer (Adam/AdamW, Adagrad) and its per-epoch learning-rate decay;
- `callbacks`: history file, time limit, TensorBoard scalars;
- `trainer`: `train()`;
- `runs`: the files of a run folder and `load_run`;
- `evaluation`: NLL of a model or run on a split;
- `ensembles`: mixtures of runs, weights fitted by EM, and `log_mean_exp`;
- `sampling`: samples of a run as PNG or text;
- `reports`: results.json and its lines of text.
Data sets are registered in `keras_ar.datasets.DATASETS`.
"""

import importlib

# public name -> module that defines it; imported on first use (PEP 562), so that
# `keras_ar.training.config` (the recipe schema) loads without Keras
_EXPORTS = {
    "environment": "keras_ar.environment",
    "TrainConfig": "keras_ar.training.config",
    "PreparedData": "keras_ar.training.data",
    "text_windows": "keras_ar.training.data",
    "evaluate_ensemble": "keras_ar.training.ensembles",
    "fit_mixture_weights": "keras_ar.training.ensembles",
    "log_mean_exp": "keras_ar.training.ensembles",
    "batched_log_prob": "keras_ar.training.evaluation",
    "evaluate": "keras_ar.training.evaluation",
    "evaluate_model": "keras_ar.training.evaluation",
    "MODEL_KINDS": "keras_ar.training.model_kinds",
    "build_model": "keras_ar.training.model_kinds",
    "kind_of": "keras_ar.training.model_kinds",
    "load_run": "keras_ar.training.runs",
    "sample": "keras_ar.training.sampling",
    "FlooredExponentialDecay": "keras_ar.training.schedule",
    "make_optimizer": "keras_ar.training.schedule",
    "optimizer": "keras_ar.training.schedule",
    "train": "keras_ar.training.trainer",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'keras_ar.training' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
