"""Samplers: one ancestral loop over `model.step` that every model shares.

The model supplies `initial_state(batch_size, noise)` and `step(state, x_prev) ->
(params, new_state)`; the sampler turns params into a value from uniform noise and
never knows which model it drives (the keras-hub sampler/step split).
"""

import keras
from keras import ops

from keras_ar import backend
from keras_ar.distributions import Bernoulli
from keras_ar.validation import check_positive_int, check_temperature


class Sampler:
    """Ancestral sampling at a temperature: x_i ~ p(x_i | x_<i)^(1/T) (normalized).

    Args:
        temperature: > 0; divides the logits (scales the Gaussian noise for RNADE).
    """

    def __init__(self, temperature=1.0):
        self.temperature = check_temperature(temperature)

    def next_value(self, distribution, params, noise):
        return distribution.sample(params, noise, self.temperature)

    def check_model(self, model):
        """Raises a ValueError, before any step, if this sampler cannot drive `model`."""

    def run(self, model, noise, given=None, observed=None, initial_noise=None):
        """The step loop in the model's own order.

        Args:
            model: an `AutoregressiveModel`.
            noise: `(batch, length, noise_size)` uniforms.
            given, observed: optional `(batch, length)` values and booleans, in step
                order; observed positions keep `given` instead of a sample.
            initial_noise: optional `(batch,)` uniforms for `initial_state`.

        Returns:
            `(batch, length)` values in step order.
        """
        batch_size, length = ops.shape(noise)[0], ops.shape(noise)[1]
        dtype = model.distribution.value_dtype
        state = model.initial_state(batch_size, noise=initial_noise)
        x_prev = ops.zeros((batch_size,), dtype)
        values = ops.zeros((batch_size, length), dtype)
        if given is not None:
            given = ops.cast(given, dtype)
            observed = ops.cast(observed, "bool")

        def body(i, carry):
            state, x_prev, values = carry
            params, state = model.step(state, x_prev)
            value = self.next_value(model.distribution, params, ops.take(noise, i, axis=1))
            if given is not None:
                value = ops.where(
                    ops.take(observed, i, axis=1), ops.take(given, i, axis=1), value
                )
            value = ops.cast(value, dtype)
            # write column i without a scatter: (batch, length)
            column = ops.expand_dims(ops.one_hot(i, length) > 0, 0)
            values = ops.where(column, ops.expand_dims(value, 1), values)
            return state, value, values

        _, _, values = ops.fori_loop(0, length, body, (state, x_prev, values))
        return values


    def scan(self, model, noise, given=None, observed=None, initial_noise=None):
        """The loop of `run` (the same values for the same noise), built to be compiled.

        Each step calls `model.sampling_step(state, x_prev, i)` with a scalar step
        index (a running-sum model then reads one row of its weights and adds one
        rank-1 term), and the values are stacked by the backend's scan instead of
        rewriting a `(batch, length)` tensor at every step. A model whose
        `sampling_block_size(length)` is K > 1 takes K steps per iteration in
        `model.sampling_block`. Needs a backend with fast paths
        (`keras_ar.backend.has_fast_paths()`); `model.sample` compiles it.
        """
        batch_size, length = ops.shape(noise)[0], noise.shape[1]
        dtype = model.distribution.value_dtype
        state = model.sampling_state(model.initial_state(batch_size, noise=initial_noise))
        steps = {
            "index": ops.arange(length, dtype="int32"),
            "noise": ops.transpose(noise, (1, 0, 2)),  # (length, batch, noise_size)
        }
        if given is not None:
            steps["given"] = ops.transpose(ops.cast(given, dtype))  # (length, batch)
            steps["observed"] = ops.transpose(ops.cast(observed, "bool"))

        def take(params, step):
            """The value of one step from its params and its slice of `steps`."""
            value = self.next_value(model.distribution, params, step["noise"])
            if given is not None:
                value = ops.where(step["observed"], step["given"], value)
            return ops.cast(value, dtype)

        block = model.sampling_block_size(length)
        carry = (state, ops.zeros((batch_size,), dtype))
        if block == 1:
            def body(carry, step):
                state, x_prev = carry
                params, state = model.sampling_step(state, x_prev, step["index"])
                value = take(params, step)
                return (state, value), value

            _, values = backend.scan(body, carry, steps, length, dtype)  # (length, batch)
            return ops.transpose(values)

        def block_body(carry, block_steps):
            state, x_prev = carry
            state, values = model.sampling_block(state, x_prev, block_steps, take)  # (K, batch)
            return (state, values[-1]), values

        blocks = {name: ops.reshape(tensor, (length // block, block, *ops.shape(tensor)[1:]))
                  for name, tensor in steps.items()}
        _, values = backend.scan(block_body, carry, blocks, length // block, dtype)  # (m, K, batch)
        return ops.transpose(ops.reshape(values, (length, -1)))


class RandomSampler(Sampler):
    """Plain ancestral sampling (temperature 1 by default)."""


class GreedySampler(Sampler):
    """The most likely value at each step (argmax; p > 0.5; the heaviest mean)."""

    def __init__(self):
        super().__init__(temperature=1.0)

    def next_value(self, distribution, params, noise):
        return distribution.mode(params)


class TopKSampler(Sampler):
    """Samples among the k most likely categories only (categorical heads).

    Args:
        k: number of categories kept, 1 <= k.
        temperature: as `Sampler`.
    """

    def __init__(self, k, temperature=1.0):
        super().__init__(temperature)
        self.k = check_positive_int("k", k)

    def check_model(self, model):
        num_categories = getattr(model.distribution, "num_categories", None)
        if num_categories is None:
            raise ValueError(
                f"TopKSampler needs a categorical head (softmax logits); "
                f"{type(model).__name__} has a {model.distribution.name} head."
            )
        if self.k > num_categories:
            raise ValueError(
                f"TopKSampler(k={self.k}) is larger than the number of categories "
                f"{num_categories} of {type(model).__name__}; use 1 <= k <= {num_categories}."
            )

    def next_value(self, distribution, params, noise):
        if isinstance(distribution, Bernoulli) or "logits" not in params:
            raise ValueError("TopKSampler needs a categorical head (softmax logits).")
        logits = params["logits"]
        num_categories = ops.shape(logits)[-1]
        if isinstance(num_categories, int) and self.k > num_categories:
            raise ValueError(
                f"k={self.k} is larger than the number of categories {num_categories}."
            )
        kth = ops.min(ops.top_k(logits, self.k)[0], axis=-1, keepdims=True)
        masked = ops.where(logits >= kth, logits, ops.full_like(logits, -1e9))
        return distribution.sample({"logits": masked}, noise, self.temperature)


def get(sampler=None, temperature=1.0):
    """A `Sampler` from None/"random"/"greedy"/an instance; `temperature` is checked
    in every case (a `Sampler` instance keeps its own temperature)."""
    temperature = check_temperature(temperature)
    if sampler is None:
        return RandomSampler(temperature)
    if isinstance(sampler, Sampler):
        return sampler
    if sampler == "greedy":
        return GreedySampler()
    if sampler == "random":
        return RandomSampler(temperature)
    if isinstance(sampler, type) and issubclass(sampler, Sampler):
        raise TypeError(f"Pass a sampler instance, e.g. {sampler.__name__}(), not the class.")
    raise ValueError(f"Unknown sampler {sampler!r}; use 'random', 'greedy' or a Sampler.")


def draw_noise(batch_size, length, noise_size, seed=None):
    """Uniform noise for `run`: `(batch, length, noise_size)` and `(batch,)`."""
    flat = keras.random.uniform((batch_size, length * noise_size + 1), seed=seed)
    noise = ops.reshape(flat[:, 1:], (batch_size, length, noise_size))
    return noise, flat[:, 0]
