"""Compiled `log_prob` and sampling functions, kept for callers that hold one.

`model.log_prob` and `model.sample` are themselves the compiled fast paths (see
`keras_ar.backend`); these return functions that call them.
"""


def compiled_log_prob(model, jit_compile=True):
    """`fn(x) -> log p(x)` (nats) as one compiled function, without input checks
    (check once with `model.check_inputs`). `jit_compile` is kept for compatibility:
    the backend decides (XLA on TensorFlow, `jax.jit` on JAX)."""
    return model.compiled_log_prob()


def compiled_sampler(model, jit_compile=True):
    """`fn(num_samples, seed=0, length=None, temperature=1.0)`, equal to
    `model.sample(num_samples, seed=seed, ...)` (which is compiled itself)."""
    model.ensure_built()

    def fn(num_samples, seed=0, length=None, temperature=1.0):
        return model.sample(num_samples, seed=seed, length=length, temperature=temperature)

    return fn
