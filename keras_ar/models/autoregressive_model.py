import functools
import math
import os

import keras
import numpy as np
from keras import ops

from keras_ar import backend, conditional, distribute, files, samplers
from keras_ar.layers.masks import validate_ordering
from keras_ar.models import inputs
from keras_ar.models.nan_guard import NaNGuard
from keras_ar.precision import float32_policy
from keras_ar.validation import (
    check_inputs,
    check_positive_int,
    check_step_values,
)


class AutoregressiveModel(keras.Model):
    """Base of every keras-ar model: log p(x) = sum_i log p(x_{o_i} | x_{o_<i}).

    Subclasses set `distribution` and `input_kind` and implement `build`,
    `conditionals(x)` (the parameters of all n conditionals in parallel, in step
    order), `state_names()`, and two hooks: `compute_initial_state(batch_size, noise)`
    and `compute_step(state, x_prev)`. The public `initial_state`/`step` build the
    model and validate their inputs before calling the hooks, so no subclass can skip
    the checks. The base provides `call`/`log_prob`, the training loss (mean NLL, no
    loss argument needed), `sample` for every model, input checks and the ordering.

    Args:
        input_dim: number of dimensions n (None for sequence models).
        ordering: optional permutation of range(n); step i fills `ordering[i]`.
        image_shape: optional shape that the n dimensions come from (raster order).
    """

    input_kind = "binary"
    exact_conditionals = False  # True: p(x_missing | x_observed) is exact for any mask
    log_prob_with_xla = True  # False: `compiled_log_prob` is a graph around compiled loops
    loop_rows = None  # rows per compiled loop on CPU (None: one loop per core)
    train_with_xla = False  # True: `compile(jit_compile="auto")` means XLA on TF's CPU too

    def __init__(self, input_dim=None, ordering=None, image_shape=None, **kwargs):
        # float32 always (see keras_ar.precision); sublayers take `dtype=self.dtype_policy`
        kwargs["dtype"] = float32_policy(type(self).__name__, kwargs.get("dtype"))
        super().__init__(**kwargs)
        self.input_dim = (
            None
            if input_dim is None and self.input_kind == "tokens"
            else check_positive_int("input_dim", input_dim)
        )
        self.image_shape = None
        if image_shape is not None:
            self.image_shape = tuple(check_positive_int("image_shape", s) for s in image_shape)
        if self.image_shape is not None and int(np.prod(self.image_shape)) != self.input_dim:
            raise ValueError(
                f"image_shape {self.image_shape} has {int(np.prod(self.image_shape))} "
                f"pixels, but input_dim is {self.input_dim}."
            )
        if self.input_dim is None and ordering is not None:
            raise ValueError("`ordering` is only for image models (with an input_dim).")
        self._identity_order = True
        self._ordering_config = None
        if self.input_dim is not None:
            self.ordering = validate_ordering(ordering, self.input_dim)
            if ordering is not None:
                self._ordering_config = [int(i) for i in self.ordering]
            self.inverse_ordering = np.argsort(self.ordering)
            self._identity_order = bool(np.all(self.ordering == np.arange(self.input_dim)))
        self.nll_tracker = keras.metrics.Mean(name="nll")
        self.bits_tracker = keras.metrics.Mean(name="bits_per_dim")

    # --- what a subclass implements -------------------------------------------------
    def conditionals(self, x, training=False):
        """Parameters of every conditional, `(batch, n, ...)`, for `x` in step order."""
        raise NotImplementedError

    def compute_initial_state(self, batch_size, noise):
        """Hook behind `initial_state`: the model is built, `batch_size` checked."""
        raise NotImplementedError

    def compute_step(self, state, x_prev):
        """Hook behind `step`: `state` and `x_prev` are already checked."""
        raise NotImplementedError

    def sampling_state(self, state):
        """The state the compiled sampling loop carries, from `initial_state`'s: models
        that keep extra running quantities in `sampling_step` add them here."""
        return state

    def sampling_step(self, state, x_prev, index):
        """`compute_step` inside the compiled sampling loop, where every row is at step
        `index` (a scalar tensor); models override it when that makes a step cheaper."""
        return self.compute_step(state, x_prev)

    def sampling_block_size(self, length):
        """Steps per iteration of the compiled sampling loop: 1 (`sampling_step` alone),
        or K > 1 dividing `length` for a model that implements `sampling_block(state,
        x_prev, steps, take) -> (state, values (K, batch))` (see `NADE`)."""
        return 1

    def sampling_loop_rows(self):
        """Most rows per sampling loop on every backend (None: `loop_rows` where the
        backend cuts loops, e.g. JAX on CPU)."""

    # --- the step-wise contract (validates, then calls the hooks) -----------------------
    def initial_state(self, batch_size, noise=None):
        """State before the first step: a dict of `(batch_size, ...)` tensors."""
        if isinstance(batch_size, (int, np.integer)):
            check_positive_int("batch_size", batch_size)
        self.ensure_built()
        return self.compute_initial_state(batch_size, noise)

    def step(self, state, x_prev):
        """Consumes the previous value; returns (params of the next step, new state)."""
        self.check_step_inputs(state, x_prev)
        return self.compute_step(state, x_prev)

    def state_names(self):
        """Names of the state tensors that `initial_state` returns and `step` needs."""
        raise NotImplementedError

    def check_step_inputs(self, state, x_prev):
        """Cheap checks of `step` inputs: state names, static shapes and dtype always;
        the values of `x_prev` only when it is host data (numpy, list, scalar), never
        for tensors (no device copy per step inside the sampling loop or a graph)."""
        if not isinstance(state, dict):
            raise TypeError(
                f"`state` must be the dict returned by initial_state(), got {type(state).__name__}."
            )
        missing = [name for name in self.state_names() if name not in state]
        if missing:
            raise ValueError(
                f"`state` lacks {missing}; pass the dict returned by initial_state() "
                f"or by the previous step (names: {self.state_names()})."
            )
        if isinstance(x_prev, (list, tuple, int, float, np.generic)):
            x_prev = np.asarray(x_prev)
        shape = x_prev.shape
        if len(shape) != 1:
            raise ValueError(f"`x_prev` must have shape (batch,), got {tuple(shape)}.")
        batch = state[self.state_names()[0]].shape[0]
        if shape[0] is not None and batch is not None and int(shape[0]) != int(batch):
            raise ValueError(
                f"`x_prev` has batch size {shape[0]} but the state has batch size {batch}."
            )
        dtype = keras.backend.standardize_dtype(x_prev.dtype)
        if self.distribution.value_dtype == "int32" and ("float" in dtype or "complex" in dtype):
            raise TypeError(
                f"`x_prev` must hold integer ids (int32) for {type(self).__name__}, got "
                f"dtype {dtype}; a float would be silently truncated."
            )
        if isinstance(x_prev, np.ndarray):
            check_step_values(
                x_prev,
                self.input_kind,
                getattr(self, "num_categories", None) or getattr(self, "vocab_size", None),
            )

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
        batch_size = check_positive_int("batch_size", batch_size)
        x = self.check_inputs(x)
        log_prob = self.compiled_log_prob()
        if isinstance(x, np.ndarray) and x.shape[0] > batch_size:
            return ops.concatenate(list(self._log_prob_in_chunks(x, batch_size, log_prob)), axis=0)
        return log_prob(x)

    CHUNKS_PER_CALL = 8

    def _log_prob_in_chunks(self, x, batch_size, log_prob):
        """log p of host `x` in chunks of `batch_size` rows. Where `log_prob` is one XLA
        computation, `CHUNKS_PER_CALL` chunks go to each call and a compiled loop runs
        them one after another (the same memory, an eighth of the dispatches: a MADE
        2x500 scored about 1.4x more rows per second at batch 100)."""
        rows = batch_size * self.CHUNKS_PER_CALL
        grouped_rows = x.shape[0] // rows * rows if self.input_dim is not None and self.log_prob_with_xla else 0
        if grouped_rows:
            grouped = self._grouped_log_prob()
            for start in range(0, grouped_rows, rows):
                chunks = x[start : start + rows].reshape((self.CHUNKS_PER_CALL, batch_size) + x.shape[1:])
                yield ops.reshape(grouped(chunks), (-1,))
        for start in range(grouped_rows, x.shape[0], batch_size):
            yield log_prob(x[start : start + batch_size])

    def _grouped_log_prob(self):
        """`fn(chunks) -> log p`, `(CHUNKS_PER_CALL, batch_size, ...)` rows in: a compiled
        loop over the chunks. With several CPU lanes (TensorFlow: cores), each lane loops
        over its share of the chunks, side by side (MADE 2x500, 2 cores: 1.05x the rows
        per second of one loop over all of them at batch 512, 1.10x at batch 100)."""
        grouped = backend.compile_function(
            self, ("log_prob_chunks",), lambda xs: ops.map(self.fast_log_prob, xs))
        lanes = backend.lanes()
        if lanes == 1 or self.CHUNKS_PER_CALL % lanes:
            return grouped
        map_lanes = backend.current().map_lanes
        return backend.compile_function(
            self, ("log_prob_chunks", "lanes"), lambda xs: map_lanes(grouped, [xs], lanes), xla=False)

    def compiled_log_prob(self):
        """`fn(x) -> log p(x)` as one compiled function (XLA on TensorFlow, `jax.jit` on
        JAX; on TensorFlow one graph without XLA for sequence models, whose lengths
        vary, and for models whose loops compile themselves; eager on other backends). No input checks: `log_prob` checks,
        then calls this."""
        self.ensure_built()
        xla = self.input_dim is not None and self.log_prob_with_xla
        return backend.compile_function(self, ("log_prob",), self.fast_log_prob, xla=xla)

    def fast_log_prob(self, x):
        """log p(x) by the model's fastest formulation (models with a loop override it)."""
        return self(x)

    def conditional_log_prob(self, x, observed):
        """log p(x_missing | x_observed), `(batch,)`; `observed` a bool mask like `x`.

        Exact for order-agnostic models (`exact_conditionals`); for fixed-order ones it
        is sum_{missing i} log p(x_i | x_<i), exact only when the observed values come
        first in the ordering, else the clamped approximation (with a warning). See
        `keras_ar.conditional`.
        """
        return conditional.conditional_log_prob(self, x, observed)

    def ensure_built(self):
        """Builds the weights, under the strategy the model was created in (if any), so
        a model made in `strategy.scope()` and fitted outside it gets mirrored weights."""
        if not self.built:
            with distribute.creation_scope(self):
                self.build(self.default_input_shape())

    def default_input_shape(self):
        return (None, self.input_dim)

    # --- training ---------------------------------------------------------------------
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
        return super().fit(x, callbacks=callbacks, validation_data=validation_data, **kwargs)

    def evaluate(self, x=None, y=None, **kwargs):
        return super().evaluate(inputs.check_fit_data(self, x), y, **kwargs)

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

        Order-agnostic models (`exact_conditionals`, e.g. `DeepNADE`) draw exactly from
        p(unknown | observed) for any mask. Fixed-order models clamp observed values in
        the ancestral pass: every unknown value is drawn from p(x_i | x_<i) with the
        observed ones in x_<i. When the observed values come first in the ordering (a
        top half, a prompt) this is exactly p(unknown | observed); otherwise earlier
        unknowns ignore later observations: the clamped approximation, and a
        `ClampedConditionalWarning` says so.

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
        sampler.check_model(self)
        if length is not None and self.input_dim is not None and length != self.input_dim:
            raise ValueError(
                f"`length` is for sequence models; {type(self).__name__} always samples "
                f"input_dim={self.input_dim} values (pass None or {self.input_dim}), got {length!r}."
            )
        length = self.sample_length(length)
        if observed is not None and given is None:
            raise ValueError("`observed` needs `given`, the values to keep where it is True.")
        initial_noise = None
        if noise is None:
            num_samples = check_positive_int("num_samples", num_samples)
            noise, initial_noise = samplers.draw_noise(
                num_samples, length, self.distribution.noise_size, seed
            )
        else:
            noise = inputs.check_noise(self, noise, num_samples, length)
        if given is not None:
            given, observed = inputs.prepare_given(self, given, observed, noise.shape[0], length)
            sampler = conditional.given_sampler(self, sampler, observed)
        values = self._sampling_loop(sampler)(noise, given, observed, initial_noise)
        if self.distribution.value_dtype != "int32":
            inputs.check_finite_samples(values)
        return self.to_data_order(values)

    def _sampling_loop(self, sampler):
        """`sampler.scan` compiled once per (sampler settings): XLA on TensorFlow,
        `jax.jit` with the weights as arguments on JAX; `sampler.run` (eager) elsewhere."""
        if not backend.has_fast_paths():
            return functools.partial(_run_sampler, sampler, self)
        key = ("sample", type(sampler), tuple(sorted(vars(sampler).items())))

        # exact conditional samplers start from the evidence state: their own `run` loop
        run = sampler.run if getattr(sampler, "from_evidence", False) else sampler.scan

        def loop(noise, given, observed, initial_noise):
            return run(self, noise, given=given, observed=observed, initial_noise=initial_noise)

        compiled = backend.compile_function(self, key, loop)
        if backend.batch_parts() == 1:
            return compiled

        rows = self.sampling_loop_rows()  # a cap the model sets holds on every backend
        max_rows, small_loops = (rows, True) if rows else (self.loop_rows, None)

        def side_by_side(*inputs):
            # rows are independent: one loop per part, which the graph runs on
            # different cores
            return backend.in_batch_parts(compiled, *inputs, max_rows=max_rows, small_loops=small_loops)

        return backend.compile_function(self, key + ("parts",), side_by_side, xla=False)

    # --- serialization ----------------------------------------------------------------
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


def _run_sampler(sampler, model, noise, given, observed, initial_noise):
    return sampler.run(model, noise, given=given, observed=observed, initial_noise=initial_noise)


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
