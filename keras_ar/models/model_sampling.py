"""The sampling half of `AutoregressiveModel`: `sample`, one compiled loop per sampler.

x_i ~ p(x_i | x_<i) in the model's ordering, from uniform noise (the same noise gives
the same sample here and in every exported runtime).
"""

import functools

from keras_ar import backend, conditional, samplers
from keras_ar.models import inputs
from keras_ar.validation import check_positive_int


class SamplingMixin:
    """`sample` for every model, through the model's `step` / `sampling_step` hooks
    (mixed into `AutoregressiveModel` before `keras.Model`)."""

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


def _run_sampler(sampler, model, noise, given, observed, initial_noise):
    return sampler.run(model, noise, given=given, observed=observed, initial_noise=initial_noise)
