"""JAX fast paths: `lax.scan` loops, `jax.jit` with the weights as arguments, and the
running-sum loop's `jax.custom_vjp`.

Compiled functions are stateless: the model's variables are passed in as arguments and
mapped back onto the variables with `keras.StatelessScope` while tracing, so a jitted
function never freezes the weights it was traced with.
"""

import functools

import jax
import keras
import numpy as np
from jax import numpy as jnp

# Loops of at most `max_rows` rows (`in_batch_parts`) pay here: a loop over more rows
# runs slower per row (NADE-784/500, ReLU units, `log_prob` at batch 512 on one core:
# 1,860-2,210 rows/s in loops of 256-512 rows, 4,100-4,300 in loops of 50-128)
SMALL_LOOPS = True

# Keras' own recurrent layers (SimpleRNN) cannot be differentiated inside the lanes'
# `shard_map` ("Context mesh ... should match the mesh of sharding"): models built on
# them do not cut their batch into lanes here
KERAS_RNN_IN_LANES = False

# A loop body that reads its carry before and after updating it in place gets a copy of
# the carry per iteration from XLA (NADE's running sum: a (rows, d) copy per position).
# Reading only the updated carry (a_start = a_end - x W) leaves the update as the old
# carry's last reader: no copy. NADE-784/500, ReLU `log_prob` at batch 512, 2 devices,
# four interleaved rounds: 18,135-21,723 examples/s against 10,490-14,471
READ_UPDATED_CARRY = True


def _cpu_devices():
    return jax.devices() if jax.default_backend() == "cpu" else []


def batch_parts():
    """1 on an accelerator; on CPU, where batches are cut (`in_batch_parts`), at least 2."""
    devices = _cpu_devices()
    return max(2, len(devices)) if devices else 1


def lanes():
    """The CPU devices. XLA runs one computation on one core: only separate devices
    (`XLA_FLAGS=--xla_force_host_platform_device_count=N`, set by the user before JAX
    starts) run parts side by side."""
    return len(_cpu_devices())


def map_lanes(fn, inputs, lanes):
    """`fn` on each CPU device's rows, the devices side by side (`shard_map` over the
    batch; None inputs pass through)."""
    if lanes == 1:
        return fn(*inputs)
    from keras_ar.backend import fill_present

    arrays = [jnp.asarray(t) for t in inputs if t is not None]
    spec = jax.sharding.PartitionSpec("batch")
    mesh = jax.sharding.Mesh(np.array(_cpu_devices()), ("batch",))
    return jax.shard_map(lambda *local: fn(*fill_present(inputs, local)), mesh=mesh,
                         in_specs=(spec,) * len(arrays), out_specs=spec, check_vma=False)(*arrays)


def auto_jit_compile(model):
    """Keras' "auto", which is XLA on JAX already."""
    return "auto"


def uniform(shape, seed):
    """`keras.random.uniform` (JAX's threefry is fast under jit)."""
    return keras.random.uniform(shape, seed=seed)


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


def compiled(fn):
    """`fn` as is: it runs inside the caller's `jax.jit`."""
    return fn


def with_gradient(forward, backward, *primals):
    """`forward(*primals)[0]`, differentiated by `backward(residuals, upstream)`."""
    fn = jax.custom_vjp(lambda *args: forward(*args)[0])
    fn.defvjp(forward, lambda residuals, upstream: tuple(backward(residuals, upstream)))
    return fn(*primals)


def place_training_state(model):
    """With several CPU devices (`lanes`), the training step's `shard_map` returns the
    new weights replicated over the devices' mesh, while they start on one device: the
    step was compiled once for the first state, again for the second, and once more
    at the next epoch (NADE-784/500: 1.3-1.9 s each, in the second `fit` call). The
    weights, the optimizer's state and the seeds of models that train in lanes start
    on the mesh here instead, so the two compilations (epoch start with fresh metrics,
    then every later step) happen in the first `fit` only. Models that train in one
    computation (MADE, DeepNADE) stay on one device: replicated over the mesh, their
    step ran on both devices, 0.65x-0.75x as fast."""
    if lanes() < 2 or not model.trains_in_lanes() or not getattr(model, "compiled", False):
        return
    if keras.distribution.distribution() is not None:
        return  # a Keras distribution lays the variables out itself
    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    spec = jax.sharding.PartitionSpec()
    replicated = jax.sharding.NamedSharding(jax.sharding.Mesh(np.array(_cpu_devices()), ("batch",)), spec)
    for variable in [*model.variables, *optimizer.variables]:
        variable.assign(jax.device_put(variable.value, replicated))


def untie_averaged_weights(model):
    """A copy of each trainable weight's array (see `backend.untie_averaged_weights`)."""
    for variable in model.trainable_variables:
        variable.assign(jnp.array(variable.value, copy=True))
