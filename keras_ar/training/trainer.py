"""`train(config, out_dir)`: build the model of a recipe, fit it, keep the best, report.

`model.fit` runs with validation NLL every epoch, early stopping and a best checkpoint
on `val_nll`, TensorBoard/CSV/JSON logs, a wall-time limit, and resume after
interruption (`keras.callbacks.BackupAndRestore`): re-running the same command
continues where the run stopped. The test split is evaluated only when asked
(`evaluate_test`), once, with the model selected on validation. The files of a run
folder are described in `keras_ar.training.runs`.
"""

import dataclasses
import json
import shutil
import time
from pathlib import Path

import keras

from keras_ar import files
from keras_ar.training import callbacks, runs
from keras_ar.training.config import TrainConfig
from keras_ar.training.data import PreparedData
from keras_ar.training.evaluation import evaluate_model
from keras_ar.training.model_kinds import build_model
from keras_ar.training.reports import run_results
from keras_ar.training.schedule import make_optimizer


def train(config, out_dir, verbose=1, extra_callbacks=None):
    """Train the model described by `config` (a TrainConfig or its dict) into `out_dir`.

    Returns the results dict (also written to `out_dir/results.json`).
    """
    config = config if isinstance(config, TrainConfig) else TrainConfig.from_dict(config)
    config.check()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files.write_json(out_dir / runs.CONFIG, config.to_dict())
    if config.phases:
        return _train_phases(config, out_dir, verbose, extra_callbacks)

    keras.utils.set_random_seed(config.seed)
    data = PreparedData(config)
    model = build_model(config, data)
    model.compile(optimizer=make_optimizer(config, _steps_per_epoch(config, data)),
                  jit_compile=config.jit_compile)
    if config.init_from:
        runs.load_weights(model, Path(config.init_from) / runs.BEST_WEIGHTS)
    start = time.time()
    time_limit = callbacks.TimeLimit(config.max_minutes)
    model.fit(
        data.load("train"),
        validation_data=data.load("valid"),
        epochs=config.epochs,
        batch_size=config.batch_size,
        steps_per_epoch=config.steps_per_epoch,
        shuffle=True,
        verbose=verbose,
        callbacks=_callbacks(config, out_dir, time_limit) + list(extra_callbacks or []),
    )
    seconds = time.time() - start
    if (out_dir / runs.BEST_WEIGHTS).exists():
        model.load_weights(str(out_dir / runs.BEST_WEIGHTS))
    model.save(out_dir / runs.BEST_MODEL)
    return _report(config, data, model, _history(out_dir), seconds, time_limit.hit, out_dir)


def _steps_per_epoch(config, data):
    steps = -(-len(data.load("train")) // config.batch_size)
    return min(steps, int(config.steps_per_epoch)) if config.steps_per_epoch else steps


def _callbacks(config, out_dir, time_limit):
    previous = _history(out_dir)
    best_so_far = min((r["val_nll"] for r in previous if "val_nll" in r), default=None)
    # BackupAndRestore comes after the checkpoint and history callbacks: once it records
    # epoch N as done, their files hold epoch N too (a SIGKILL in between only makes the
    # resumed run repeat epoch N, whose history row is then replaced, never lost)
    return [
        keras.callbacks.ModelCheckpoint(
            str(out_dir / runs.BEST_WEIGHTS), monitor="val_nll", mode="min",
            save_best_only=True, save_weights_only=True, initial_value_threshold=best_so_far,
        ),
        keras.callbacks.EarlyStopping(monitor="val_nll", mode="min", patience=config.patience),
        callbacks.tensorboard(out_dir / "tensorboard"),
        keras.callbacks.CSVLogger(str(out_dir / "log.csv"), append=True),
        callbacks.HistoryFile(out_dir / runs.HISTORY),
        time_limit,
        *([callbacks.AveragedWeights()] if config.ema else []),  # the ones above see the average
        keras.callbacks.BackupAndRestore(str(out_dir / "backup")),
    ]


def _history(out_dir):
    path = Path(out_dir) / runs.HISTORY
    return json.loads(path.read_text()) if path.exists() else []


def _report(config, data, model, history, seconds, stopped, out_dir, **extra):
    splits = {"valid": evaluate_model(model, data, "valid")}
    if config.evaluate_test:
        splits["test"] = evaluate_model(model, data, "test")
    results = run_results(config, data, model, history, seconds, stopped, splits)
    results.update(extra)
    files.write_json(out_dir / runs.RESULTS, results)
    return results


def _train_phases(config, out_dir, verbose, extra_callbacks):
    """Each phase is a run in `out_dir/phase_<k>` that starts from the best weights of
    the phase before (fresh optimizer state); a finished phase is not run again."""
    from keras_ar.saving import load_model

    previous, phases, history, seconds = config.init_from, [], [], 0.0
    for index, phase in enumerate(config.phase_configs(), start=1):
        folder = out_dir / f"phase_{index}"
        if (folder / runs.RESULTS).exists():
            result = json.loads((folder / runs.RESULTS).read_text())
        else:
            phase = dataclasses.replace(phase, init_from=previous)
            result = train(phase, folder, verbose=verbose, extra_callbacks=extra_callbacks)
        offset = len(history)
        history += [dict(r, epoch=r["epoch"] + offset, phase=index) for r in _history(folder)]
        seconds += result["train_seconds_this_session"]
        phases.append({"phase": index, "epochs_run": result["epochs_run"],
                       "best_epoch": result["best_epoch"], "valid": result["valid"]})
        previous = str(folder)
    for name in (runs.BEST_WEIGHTS, runs.BEST_MODEL):
        shutil.copyfile(Path(previous) / name, out_dir / name)
    files.write_json(out_dir / runs.HISTORY, history, indent=1)
    model = load_model(out_dir / runs.BEST_MODEL, compile=False)
    return _report(config, PreparedData(config), model, history, seconds,
                   result["stopped_by_time_limit"], out_dir, phases=phases)
