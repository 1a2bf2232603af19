"""The callbacks of a training run, each a `keras.callbacks.Callback` subclass."""

import importlib
import json
import os
import time

import keras


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
        self.path.write_text(json.dumps(self.records, indent=1))


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
