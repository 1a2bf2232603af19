import math

import keras
import numpy as np
from keras import ops

from keras_ar import distribute, samplers
from keras_ar.layers.masks import validate_ordering
from keras_ar.validation import check_inputs, check_positive_int, to_numpy_or_none


class NaNGuard(keras.callbacks.Callback):
    """Stops training with an error as soon as the loss is NaN or infinite."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True
            raise FloatingPointError(
                f"Training diverged: loss is {loss} at batch {batch}. Lower the learning "
                "rate (or clip gradients with `clipnorm`); no weights were saved by "
                "this guard."
            )


class AutoregressiveModel(keras.Model):
    """Base of every keras-ar model: log p(x) = sum_i log p(x_{o_i} | x_{o_<i}).

    Subclasses set `distribution` and `input_kind` and implement `build`,
    `conditionals(x)` (the parameters of all n conditionals in parallel, in step
    order), `initial_state(batch_size, noise=None)` and `step(state, x_prev)`.
    The base provides `call`/`log_prob`, the training loss (mean NLL, no loss
    argument needed), `sample` for every model, input checks and the ordering.

    Args:
        input_dim: number of dimensions n (None for sequence models).
        ordering: optional permutation of range(n); step i fills `ordering[i]`.
        image_shape: optional shape that the n dimensions come from (raster order).
    """

    input_kind = "binary"

    def __init__(self, input_dim=None, ordering=None, image_shape=None, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = None if input_dim is None else check_positive_int("input_dim", input_dim)
        self.image_shape = None if image_shape is None else tuple(int(s) for s in image_shape)
        if self.image_shape is not None and int(np.prod(self.image_shape)) != self.input_dim:
            raise ValueError(
                f"image_shape {self.image_shape} has {int(np.prod(self.image_shape))} "
                f"pixels, but input_dim is {self.input_dim}."
            )
        self._ordering_config = None if ordering is None else [int(i) for i in ordering]
        self._identity_order = True
        if self.input_dim is not None:
            self.ordering = validate_ordering(ordering, self.input_dim)
            self.inverse_ordering = np.argsort(self.ordering)
            self._identity_order = bool(np.all(self.ordering == np.arange(self.input_dim)))
        self.nll_tracker = keras.metrics.Mean(name="nll")
        self.bits_tracker = keras.metrics.Mean(name="bits_per_dim")

    # --- what a subclass implements -------------------------------------------------
    def conditionals(self, x, training=False):
        """Parameters of every conditional, `(batch, n, ...)`, for `x` in step order."""
        raise NotImplementedError

    def initial_state(self, batch_size, noise=None):
        """State before the first step: a dict of `(batch_size, ...)` tensors."""
        raise NotImplementedError

    def step(self, state, x_prev):
        """Consumes the previous value; returns (params of the next step, new state)."""
        raise NotImplementedError

    # --- density ----------------------------------------------------------------------
    def to_step_order(self, x):
        """(batch, *image_shape) or (batch, n) in data order -> (batch, n) step order."""
        x = ops.reshape(x, (-1, self.input_dim))  # (batch, n)
        if self._identity_order:
            return x
        return ops.take(x, self.ordering, axis=1)

    def to_data_order(self, values):
        if self._identity_order:
            return values
        return ops.take(values, self.inverse_ordering, axis=1)

    def call(self, x, training=False):
        x = ops.cast(self.to_step_order(x), self.distribution.value_dtype)
        params = self.conditionals(x, training=training)
        return ops.sum(self.distribution.log_prob(params, x), axis=-1)

    def check_inputs(self, x):
        return check_inputs(
            x,
            self.input_kind,
            input_dim=self.input_dim,
            image_shape=self.image_shape,
            num_categories=getattr(self, "num_categories", None)
            or getattr(self, "vocab_size", None),
        )

    def log_prob(self, x, batch_size=1024):
        """log p(x) in nats, `(batch,)`, after checking `x` (computed in chunks)."""
        x = self.check_inputs(x)
        self.ensure_built()
        if isinstance(x, np.ndarray) and x.shape[0] > batch_size:
            parts = [self(x[i : i + batch_size]) for i in range(0, x.shape[0], batch_size)]
            return ops.concatenate(parts, axis=0)
        return self(x)

    def ensure_built(self):
        if not self.built:
            self.build(self.default_input_shape())

    def default_input_shape(self):
        return (None, self.input_dim)

    # --- training ---------------------------------------------------------------------
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

    def fit(self, x=None, y=None, callbacks=None, validation_data=None, **kwargs):
        """`keras.Model.fit` on x alone (maximum likelihood), after checking the data."""
        if y is not None:
            raise ValueError(
                "Density models are trained on x alone: call fit(x), not fit(x, y)."
            )
        x = self._check_fit_data(x)
        if validation_data is not None:
            validation_data = self._check_fit_data(validation_data)
        callbacks = list(callbacks or [])
        if not any(isinstance(c, NaNGuard) for c in callbacks):
            callbacks.append(NaNGuard())
        self.ensure_built()
        return super().fit(x, callbacks=callbacks, validation_data=validation_data, **kwargs)

    def evaluate(self, x=None, y=None, **kwargs):
        return super().evaluate(self._check_fit_data(x), y, **kwargs)

    def _check_fit_data(self, data):
        if isinstance(data, tuple) and len(data) == 1:
            data = data[0]
        if hasattr(data, "take") and hasattr(data, "element_spec"):  # tf.data
            for batch in data.take(1):
                self.check_inputs(batch)
            return data
        if to_numpy_or_none(data) is not None:
            return self.check_inputs(data)
        return data

    # --- sampling ---------------------------------------------------------------------
    def sample_length(self, length=None):
        return self.input_dim

    def sample(
        self,
        num_samples=1,
        seed=None,
        temperature=1.0,
        given=None,
        observed=None,
        noise=None,
        sampler=None,
        length=None,
    ):
        """Ancestral sampling through `step`; conditional completion with `given`.

        Observed values are clamped in the ancestral pass: every unknown value is drawn
        from p(x_i | x_<i) with the observed ones in x_<i. When the observed values come
        first in the ordering (a top half, a prompt) this is exactly
        p(unknown | observed); otherwise earlier unknowns ignore later observations.

        Args:
            num_samples: number of samples.
            seed: int or `keras.random.SeedGenerator` for the uniform noise.
            temperature: > 0 (ignored when `sampler` is a `Sampler`).
            given: values `(num_samples, n)` (or `(n,)`, broadcast) to condition on;
                float NaN marks unknown entries when `observed` is None.
            observed: boolean mask, True where `given` is kept.
            noise: optional uniforms `(num_samples, length, noise_size)`; the same
                noise gives the same sample here and in every exported runtime.
            sampler: a `keras_ar.samplers.Sampler`, "random" or "greedy".
            length: number of steps (sequence models only).

        Returns:
            `(num_samples, n)` samples in data order (token ids for sequences).
        """
        self.ensure_built()
        sampler = samplers.get(sampler, temperature)
        length = self.sample_length(length)
        initial_noise = None
        if noise is None:
            noise, initial_noise = samplers.draw_noise(
                num_samples, length, self.distribution.noise_size, seed
            )
        else:
            noise = ops.convert_to_tensor(np.asarray(noise, dtype="float32"))
            expected = (length, self.distribution.noise_size)
            if len(noise.shape) != 3 or tuple(noise.shape[1:]) != expected:
                raise ValueError(
                    f"`noise` must have shape (num_samples, {expected[0]}, {expected[1]}), "
                    f"got {tuple(noise.shape)}."
                )
        if given is not None:
            given, observed = self._prepare_given(given, observed, noise.shape[0], length)
        values = sampler.run(
            self, noise, given=given, observed=observed, initial_noise=initial_noise
        )
        return self.to_data_order(values)

    def _prepare_given(self, given, observed, num_samples, length):
        given = np.asarray(given, dtype="float32")
        if given.ndim == 1:
            given = np.broadcast_to(given, (num_samples, given.shape[0]))
        given = given.reshape(given.shape[0], -1)
        if observed is None:
            observed = ~np.isnan(given)
        observed = np.broadcast_to(np.asarray(observed, dtype=bool).reshape(given.shape[0], -1), given.shape)
        if given.shape != (num_samples, length):
            raise ValueError(
                f"`given` must have shape ({num_samples}, {length}), got {given.shape}."
            )
        known = np.where(observed, given, 0.0)
        self.check_inputs(known.astype(self.distribution.value_dtype) if self.input_kind != "real" else known)
        if self.input_dim is not None and not self._identity_order:
            known, observed = known[:, self.ordering], observed[:, self.ordering]
        return (
            ops.convert_to_tensor(known.astype(self.distribution.value_dtype)),
            ops.convert_to_tensor(observed),
        )

    # --- serialization ----------------------------------------------------------------
    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        if self.input_dim is not None:
            config.update(
                input_dim=self.input_dim,
                ordering=self._ordering_config,
                image_shape=None if self.image_shape is None else list(self.image_shape),
            )
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)
