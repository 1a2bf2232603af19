"""The callbacks of a training run, each a `keras.callbacks.Callback` subclass."""

import contextlib
import importlib
import json
import os
import time

import keras

from keras_ar import files


class HistoryFile(keras.callbacks.Callback):
    """Appends every epoch's logs (+ learning rate and seconds) to a JSON list, kept
    across resumes: a resumed run restarts at `epoch` and replaces rows from there on."""

    def __init__(self, path):
        super().__init__()
        self.path = path
        self.start = time.time()

    def on_train_begin(self, logs=None):
        self.records = json.loads(self.path.read_text()) if self.path.exists() else []
        self.epoch_start = time.time()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.time()
        self.records = [r for r in self.records if r["epoch"] < epoch + 1]

    def on_epoch_end(self, epoch, logs=None):
        record = {"epoch": epoch + 1}
        record.update({k: float(v) for k, v in (logs or {}).items()})
        record["learning_rate"] = _learning_rate(self.model)
        record["epoch_seconds"] = round(time.time() - self.epoch_start, 2)
        record["elapsed_seconds"] = round(time.time() - self.start, 2)
        self.records.append(record)
        files.write_json(self.path, self.records, indent=1)


class TimeLimit(keras.callbacks.Callback):
    """Stops training at the end of the first epoch past `max_minutes` (None: never)."""

    def __init__(self, max_minutes):
        super().__init__()
        self.max_minutes = max_minutes
        self.hit = False

    def on_train_begin(self, logs=None):
        self.start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        if self.max_minutes and time.time() - self.start > 60.0 * self.max_minutes:
            self.hit = True
            self.model.stop_training = True


@contextlib.contextmanager
def averaged_weights(model):
    """Inside the block `model` holds its optimizer's moving average of the weights
    (`use_ema=True`); the trained weights come back after it. A no-op without it."""
    optimizer = model.optimizer
    if optimizer is None or not optimizer.use_ema:
        yield
        return
    trained = _swap_in_average(optimizer)
    try:
        yield
    finally:
        _restore(optimizer, trained)


def _swap_in_average(optimizer):
    pairs = list(zip(optimizer._trainable_variables, optimizer._model_variables_moving_average))
    trained = [keras.ops.copy(variable.value) for variable, _ in pairs]
    for variable, average in pairs:
        variable.assign(average)
    return trained


def _restore(optimizer, trained):
    for variable, value in zip(optimizer._trainable_variables, trained):
        variable.assign(value)


class AveragedWeights(keras.callbacks.Callback):
    """`fit`'s validation, and the callbacks listed before this one at the end of each
    epoch (the best checkpoint, early stopping), see the optimizer's moving average of
    the weights (`use_ema=True`); training continues from the trained weights, and
    callbacks after this one (`BackupAndRestore`) save those."""

    def __init__(self):
        super().__init__()
        self.trained = None

    def on_test_begin(self, logs=None):
        if self.trained is None and self.model.optimizer.use_ema and self.model.optimizer.built:
            self.trained = _swap_in_average(self.model.optimizer)

    def on_epoch_end(self, epoch, logs=None):
        if self.trained is not None:
            _restore(self.model.optimizer, self.trained)
            self.trained = None


class ScalarTensorBoard(keras.callbacks.Callback):
    """The epoch scalars of `keras.callbacks.TensorBoard` (`train/epoch_nll`,
    `validation/epoch_nll`, ...), written with `tf.summary` alone: `tensorflow-cpu`
    without the `tensorboard` package still gets logs TensorBoard reads."""

    def __init__(self, log_dir):
        super().__init__()
        self.log_dir = str(log_dir)
        self.writers = {}

    def _writer(self, name):
        if name not in self.writers:
            self.writers[name] = _summaries().scalar_writer(os.path.join(self.log_dir, name))
        return self.writers[name]

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {}, learning_rate=_learning_rate(self.model))
        for key, value in logs.items():
            split, tag = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            _summaries().write_epoch_scalar(self._writer(split), f"epoch_{tag}", value, epoch)
        for writer in self.writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in self.writers.values():
            writer.close()
        self.writers = {}


def tensorboard(log_dir):
    """`keras.callbacks.TensorBoard` when the `tensorboard` package is there, else
    `ScalarTensorBoard`."""
    try:
        import tensorboard as _  # noqa: F401
    except ImportError:
        return ScalarTensorBoard(log_dir)
    return keras.callbacks.TensorBoard(str(log_dir), write_graph=False)


def _summaries():
    """The `tf.summary` writers in `keras_ar.backend.tensorflow` (TensorFlow is installed
    with keras-ar, so they serve every Keras backend)."""
    return importlib.import_module("keras_ar.backend.tensorflow")


def _learning_rate(model):
    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
