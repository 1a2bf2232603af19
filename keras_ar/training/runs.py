"""A run folder and what is in it.

    config.json        the TrainConfig (recipe) of the run
    best.weights.h5    the best weights on valid so far (written while training)
    best.keras         the best model, written when training ends
    history.json       one row per epoch; log.csv, tensorboard/ the same for other tools
    results.json       valid (and test on request) NLL, timings, environment
    backup/            Keras' BackupAndRestore state while a run is unfinished
    phase_<k>/         one such folder per phase of a recipe with `phases`
"""

import io
import warnings
import zipfile
from pathlib import Path

from keras_ar.training.config import TrainConfig

CONFIG = "config.json"
BEST_MODEL = "best.keras"
BEST_WEIGHTS = "best.weights.h5"
HISTORY = "history.json"
RESULTS = "results.json"


def load_weights(model, path):
    """The weights saved at `path` (a `.weights.h5` checkpoint or a `.keras` model) into
    `model`, built first if needed; an optimizer's saved state is left out on purpose
    (a continuation starts its optimizer afresh)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"init_from: no {path}.")
    model.ensure_built()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipping variable loading for optimizer")
        model.load_weights(str(path))


def saved_optimizer_state(path):
    """The optimizer variables saved in the `.keras` file at `path`, in the optimizer's
    order (Keras keeps the step count first), or a clear error."""
    import h5py  # a Keras dependency

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"init_optimizer: no {path}.")
    with zipfile.ZipFile(path) as archive, archive.open("model.weights.h5") as raw:
        weights = io.BytesIO(raw.read())
    with h5py.File(weights, "r") as h5:
        if "optimizer/vars" not in h5:
            raise ValueError(f"{path} holds no optimizer state (saved without its optimizer).")
        group = h5["optimizer/vars"]
        return [group[str(i)][()] for i in range(len(group))]


def load_optimizer_state(model, path, saved=None):
    """The optimizer state saved in the `.keras` file at `path` (step count, Adam moments,
    moving average of the weights) into `model.optimizer`, which must have the same
    variables (the same kind and options): training then goes on as if the saved run had
    not stopped, without a fresh optimizer's first steps. `saved`: the file's
    `saved_optimizer_state`, when the caller has read it already."""
    if model.optimizer is None:
        raise ValueError("load_optimizer_state: compile the model first.")
    saved = saved_optimizer_state(path) if saved is None else saved
    optimizer = model.optimizer
    model.ensure_built()
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    shapes = [tuple(v.shape) for v in optimizer.variables]
    if shapes != [value.shape for value in saved]:
        raise ValueError(
            f"{path}: its optimizer state ({len(saved)} variables) does not fit this "
            f"optimizer ({len(shapes)} variables): compile with the same optimizer kind, "
            "weight decay and moving average as the saved run."
        )
    for variable, value in zip(optimizer.variables, saved):
        variable.assign(value)


def load_run(path):
    """(model, TrainConfig or None) from a run folder or a `.keras` file.

    A `.keras` file is loaded with `keras_ar.load_model` (safe mode, checked archive
    and weights); the `config.json` beside it, when there is one, says which data it
    was trained on. A run still training has no `best.keras` yet: its `config.json`
    and best checkpoint so far (`best.weights.h5`) are used instead.
    """
    from keras_ar.saving import load_model
    from keras_ar.training.data import PreparedData
    from keras_ar.training.model_kinds import build_model

    path = Path(path)
    if not path.is_dir():  # a .keras file (its errors name the file)
        config_file = path.parent / CONFIG
        config = TrainConfig.from_file(config_file) if config_file.exists() else None
        return load_model(path, compile=False), config
    config = TrainConfig.from_file(path / CONFIG) if (path / CONFIG).exists() else None
    if (path / BEST_MODEL).exists():
        return load_model(path / BEST_MODEL, compile=False), config
    if (path / BEST_WEIGHTS).exists() and config is not None:
        model = build_model(config, PreparedData(config))
        model.ensure_built()
        model.load_weights(str(path / BEST_WEIGHTS))
        return model, config
    raise FileNotFoundError(
        f"No model at {path}: a run folder of `keras-ar train` holds {BEST_MODEL} "
        f"(or, while training, {CONFIG} and {BEST_WEIGHTS})."
    )
