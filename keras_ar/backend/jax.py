"""JAX fast paths: `lax.scan` loops, `jax.jit` with the weights as arguments, and the
running-sum loop's `jax.custom_vjp`.

Compiled functions are stateless: the model's variables are passed in as arguments and
mapped back onto the variables with `keras.StatelessScope` while tracing, so a jitted
function never freezes the weights it was traced with.
"""

import functools
import os

import jax
import keras
import numpy as np
from jax import numpy as jnp


def batch_parts():
    """The CPU cores (at most 4) on a CPU-only JAX, else 1. Whether XLA's CPU runtime
    runs the parts' loops side by side depends on the computation: measured under load
    on 2 cores, NADE-784/500's `fit` at batch 512 gained (455-476 -> 533-703 images/s),
    its `log_prob` did not (1,640-2,280 with one part, 1,352-1,867 with two)."""
    if jax.default_backend() != "cpu":
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def compile_function(model, key, fn, xla=True):
    # always `jax.jit` (`xla` is for TensorFlow), traced once per input shape
    cache = model.__dict__.setdefault("_keras_ar_compiled", {})
    if key not in cache:
        variables = list(model.variables)

        @jax.jit
        def stateless(values, *args):
            with keras.StatelessScope(state_mapping=list(zip(variables, values))):
                return fn(*args)

        cache[key] = lambda *args: stateless([v.value for v in variables], *args)
    return cache[key]


def scan(body, carry, xs, length, y_dtypes, reverse=False):
    """`jax.lax.scan` (y_dtypes unused: JAX infers them)."""
    return jax.lax.scan(body, carry, xs, length=length, reverse=reverse)


def vjp(fn, primals, cotangents):
    """The cotangents of `primals` (a tuple of arrays / dicts) for `fn(*primals)`."""
    _, pullback = jax.vjp(fn, *primals)
    return pullback(cotangents)


def _forward(model, initial, x_blocks, weight_blocks, valid):
    def body(carry, xs):
        running, total = carry
        x_block, weights, valid_block = xs
        log_prob, running = model.block_log_prob(weights, running, x_block, valid_block)
        return (running, total + log_prob), None

    (end, total), _ = jax.lax.scan(
        body, (initial, jnp.zeros(initial.shape[:1], initial.dtype)), (x_blocks, weight_blocks, valid)
    )
    return total, end


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _loop(model, initial, x_blocks, weight_blocks, valid):
    return _forward(model, initial, x_blocks, weight_blocks, valid)[0]


def _loop_forward(model, initial, x_blocks, weight_blocks, valid):
    total, end = _forward(model, initial, x_blocks, weight_blocks, valid)
    return total, (end, x_blocks, weight_blocks, valid)


def _loop_backward(model, residuals, upstream):
    end, x_blocks, weight_blocks, valid = residuals

    (_, d_initial), d_blocks = jax.lax.scan(
        model.backward_scan_body(upstream, vjp), (end, jnp.zeros_like(end)), (x_blocks, weight_blocks, valid), reverse=True
    )
    if jnp.issubdtype(x_blocks.dtype, jnp.floating):
        d_x = jnp.zeros_like(x_blocks)
    else:
        d_x = np.zeros(x_blocks.shape, jax.dtypes.float0)
    return d_initial, d_x, d_blocks, jnp.zeros_like(valid)


_loop.defvjp(_loop_forward, _loop_backward)


def running_sum_log_prob(model, initial, x_blocks, weight_blocks, valid):
    return _loop(model, initial, x_blocks, weight_blocks, valid)


def with_gradient(forward, backward, *primals):
    """`forward(*primals)[0]`, differentiated by `backward(residuals, upstream)`."""
    fn = jax.custom_vjp(lambda *args: forward(*args)[0])
    fn.defvjp(forward, lambda residuals, upstream: tuple(backward(residuals, upstream)))
    return fn(*primals)
