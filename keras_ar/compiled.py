"""Backend fast paths: the shared sampler loop and `log_prob` traced into one graph.

Eager TensorFlow runs a sampling loop op by op (milliseconds per step); these wrap the
same `keras.ops` code in one `tf.function` (optionally XLA) on the TensorFlow backend
and fall back to the eager code elsewhere, so the models themselves stay backend-free.
TensorFlow is imported here only when it is the backend.
"""

import keras

from keras_ar import samplers


def compiled_run(
    sampler, model, noise, given=None, observed=None, initial_noise=None, jit_compile=False
):
    """`sampler.run`, traced into one graph on the TensorFlow backend.

    Eager TF runs the step loop op by op (milliseconds per step); one `tf.function`
    per (model, sampler) runs it as a single while loop. TF functions capture
    variables by reference, so a retrained model never samples with stale weights.
    Other backends run eagerly (a jit would freeze the weights as constants).
    `jit_compile=True` compiles the loop with XLA (faster for NADE on CPU).
    """
    if keras.backend.backend() != "tensorflow":
        return sampler.run(model, noise, given=given, observed=observed, initial_noise=initial_noise)
    import tensorflow as tf

    cache = model.__dict__.setdefault("_keras_ar_compiled_samplers", {})
    key = (type(sampler), tuple(sorted(vars(sampler).items())), bool(jit_compile))
    if key not in cache:

        def run(noise, given, observed, initial_noise):
            return sampler.run(
                model, noise, given=given, observed=observed, initial_noise=initial_noise
            )

        cache[key] = tf.function(run, reduce_retracing=True, jit_compile=bool(jit_compile))
    return cache[key](noise, given, observed, initial_noise)


def compiled_log_prob(model, jit_compile=True):
    """`model(x)` (log p(x), nats) as one compiled graph: XLA fuses NADE's elementwise
    work (measured ~2.4x faster than `model.log_prob`'s eager ops for n=784, d=500 at
    batch 100 on CPU). No input checks: check once with `model.check_inputs`."""
    model.ensure_built()
    if keras.backend.backend() != "tensorflow":
        return model
    import tensorflow as tf


    def log_prob(x):
        return model(x)

    return tf.function(log_prob, jit_compile=jit_compile, reduce_retracing=True)


def compiled_sampler(model, jit_compile=True):
    """`model.sample` as one compiled graph, XLA by default (TensorFlow).

    Returns `fn(num_samples, seed=0, length=None, temperature=1.0)`, equal to
    `model.sample(num_samples, seed=seed, ...)`; the loop is `compiled_run`,
    the same one `model.sample` uses, with `jit_compile` added.
    """
    model.ensure_built()

    def fn(num_samples, seed=0, length=None, temperature=1.0):
        length = model.sample_length(length)
        noise, initial_noise = samplers.draw_noise(
            num_samples, length, model.distribution.noise_size, seed
        )
        values = compiled_run(
            samplers.RandomSampler(temperature), model, noise,
            initial_noise=initial_noise, jit_compile=jit_compile,
        )
        return model.to_data_order(values)

    return fn
