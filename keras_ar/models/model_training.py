"""The training half of `AutoregressiveModel`: the NLL built into `compile`/`fit`.

loss = -mean_b log p(x_b) (nats per example; per token for sequences), plus any
regularization losses; `nll` and `bits_per_dim` are tracked as metrics.
"""

import math

import keras
from keras import ops

from keras_ar import backend, distribute
from keras_ar.models import inputs
from keras_ar.models.nan_guard import NaNGuard


class TrainingMixin:
    """`compile`, `fit`, `evaluate` and the loss of a density model (mixed into
    `AutoregressiveModel` before `keras.Model`, as Keras mixes its `Trainer` in)."""

    def compile(self, *args, jit_compile="auto", **kwargs):
        """`keras.Model.compile`. For models with `train_with_xla` (DeepNADE, MADE:
        plain matmuls, whose whole step XLA runs 1.5-2x faster), `jit_compile="auto"`
        compiles the training step with XLA on TensorFlow's CPU too, where Keras' own
        "auto" leaves it off (not under `tf.distribute`, as Keras)."""
        if jit_compile == "auto" and self.train_with_xla and not kwargs.get("run_eagerly"):
            jit_compile = backend.auto_jit_compile(self)
        super().compile(*args, jit_compile=jit_compile, **kwargs)

    def compile_from_config(self, config):
        """Loading a saved model compiles it as it was (Keras skips a model whose
        `compile` is overridden unless this is too)."""
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)  # its variables, to load into

    def dims_per_example(self, x):
        """Number of scored dimensions per example (bits/dim normalizer)."""
        return float(self.input_dim)

    def metric_weight(self, x):
        """Weight of a batch in the epoch averages: its number of examples."""
        return ops.cast(ops.shape(x)[0], "float32")

    def nll_per_unit(self, x, log_prob):
        """The training loss: NLL in nats per example (per token for sequences)."""
        return -ops.mean(log_prob)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        nll = self.nll_per_unit(x, y_pred)
        weight = self.metric_weight(x)
        self.nll_tracker.update_state(nll, sample_weight=weight)
        self.bits_tracker.update_state(self.bits_per_dim(x, nll), sample_weight=weight)
        losses = self.losses
        total = nll + ops.sum(ops.stack(losses)) if losses else nll
        return distribute.scale_loss(total)

    def bits_per_dim(self, x, nll):
        return nll / (self.dims_per_example(x) * math.log(2.0))

    def train_step(self, *args, **kwargs):
        return distribute.reducible_logs(self, super().train_step(*args, **kwargs))

    def test_step(self, *args, **kwargs):
        return distribute.reducible_logs(self, super().test_step(*args, **kwargs))

    def fit(self, x=None, y=None, callbacks=None, validation_data=None, **kwargs):
        """`keras.Model.fit` on x alone (maximum likelihood), after checking the data."""
        if y is not None:
            raise ValueError(
                "Density models are trained on x alone: call fit(x), not fit(x, y)."
            )
        x = inputs.check_fit_data(self, x)
        if validation_data is not None:
            validation_data = inputs.check_fit_data(self, validation_data)
        callbacks = list(callbacks or [])
        if not any(isinstance(c, NaNGuard) for c in callbacks):
            # first, so that no checkpoint callback sees a NaN batch before the guard
            callbacks.insert(0, NaNGuard())
        self.ensure_built()
        x, kwargs = inputs.fit_input(x, kwargs, callbacks)
        backend.place_training_state(self)
        try:
            return super().fit(x, callbacks=callbacks, validation_data=validation_data, **kwargs)
        finally:
            backend.untie_averaged_weights(self)

    def evaluate(self, x=None, y=None, **kwargs):
        return super().evaluate(inputs.check_fit_data(self, x), y, **kwargs)
