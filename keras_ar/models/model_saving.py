"""The saving half of `AutoregressiveModel`: refuse NaN weights, write files whole."""

import os

import numpy as np
from keras import ops

from keras_ar import files


class SavingMixin:
    """`save` and `save_weights` that refuse NaN/inf weights and write a single local
    file whole or not at all (mixed into `AutoregressiveModel` before `keras.Model`)."""

    def _check_finite_weights(self, action):
        bad = [w.path for w in self.weights if not np.all(np.isfinite(ops.convert_to_numpy(w)))]
        if bad:
            raise ValueError(
                f"Refusing to {action}: weight(s) {bad[:3]} contain NaN or inf (training "
                "diverged). Lower the learning rate and retrain, or restore a checkpoint."
            )

    def save(self, filepath, *args, **kwargs):
        """`keras.Model.save`, refusing to write a model with NaN/inf weights; a file is
        written whole or not at all (`keras_ar.files`)."""
        self._check_finite_weights(f"save {filepath}")
        return _whole_file(super().save, filepath, args, kwargs)

    def save_weights(self, filepath, *args, **kwargs):
        """`keras.Model.save_weights`, refusing NaN/inf weights; whole or not at all."""
        self._check_finite_weights(f"save weights to {filepath}")
        return _whole_file(super().save_weights, filepath, args, kwargs)


def _whole_file(save, filepath, args, kwargs):
    """Keras' `save`/`save_weights` of one local file into a sibling partial file, then
    renamed; anything else (a folder, shards, overwrite=False) is passed through as is."""
    path = str(filepath) if isinstance(filepath, (str, os.PathLike)) else ""
    single_file = (path.endswith((".keras", ".h5")) and "://" not in path and not args
                   and set(kwargs) <= {"overwrite"} and kwargs.get("overwrite", True) is True)
    if not single_file:
        return save(filepath, *args, **kwargs)
    with files.replacing_path(filepath) as partial:
        return save(str(partial), **kwargs)
