"""TensorFlow fast paths: XLA-compiled loops and the running-sum custom gradient.

Also the TensorFlow services the rest of the package uses: `tf.distribute` strategies
(`keras_ar.distribute`) and `tf.summary` writers (`ScalarTensorBoard`); elsewhere in
`keras_ar` only `datasets/tf_data.py` (the `tf.data` pipelines) imports TensorFlow.

Every compiled function is a `tf.function(jit_compile=True)`; when XLA cannot compile
it (a build without XLA, an op without an XLA kernel) the same function runs as a plain
graph. `tf.function` reads variables by reference, so compiled functions always see
the model's current weights.
"""

import contextlib
import os

import keras
import tensorflow as tf

# errors meaning "XLA cannot compile this here": retried once without XLA
_XLA_ERRORS = (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError, tf.errors.NotFoundError)


class CompiledFunction:
    """`fn` as one XLA-compiled graph, falling back to a plain graph if XLA fails."""

    def __init__(self, fn):
        self.fn = fn
        self.xla = tf.function(fn, jit_compile=True)
        self.graph = None

    def __call__(self, *args):
        if self.graph is None:
            try:
                return self.xla(*args)
            except _XLA_ERRORS as error:
                if "XLA" not in str(error) and "compil" not in str(error):
                    raise
                self.graph = tf.function(self.fn)
        return self.graph(*args)


def batch_parts():
    """The CPU cores (at most 4) when TensorFlow sees no GPU, else 1: graph ops that do
    not depend on each other run on different cores, while one XLA loop keeps each
    core partly idle."""
    if tf.config.list_logical_devices("GPU"):
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


# Loops of at most `max_rows` rows (`in_batch_parts`) do not pay here: NADE-784/500, ReLU
# units, batch 512, 2 cores: `fit` 2,069 images/s in 2 loops of 256 rows, 1,909 in 8
# loops of 64; `log_prob` 5,957 and 5,010
SMALL_LOOPS = False

# Keras' recurrent layers run in lanes (graph branches) like any other op
KERAS_RNN_IN_LANES = True

# a loop body may read its carry both before and after updating it (see jax.py): reading
# the updated carry instead made NADE's ReLU `log_prob` slower here (batch 512:
# 10,838-14,380 against 14,303-19,803 examples/s)
READ_UPDATED_CARRY = False


def lanes():
    return batch_parts()


def map_lanes(fn, inputs, lanes):
    """One graph branch per lane: TensorFlow's executor runs independent branches on
    its inter-op threads, one per core."""
    from keras_ar.backend import split_apply

    return split_apply(fn, inputs, lanes)


def auto_jit_compile(model):
    """True, unless a `tf.distribute` strategy is in scope or made the model (there
    Keras' "auto" keeps XLA off, and so do we)."""
    if tf.distribute.has_strategy() or getattr(model, "_distribute_strategy", None) is not None:
        return "auto"
    return True


def uniform(shape, seed):
    """Stateless Philox uniforms in [0, 1) with Keras' seed semantics: an int, or a
    `keras.random.SeedGenerator` advanced once per call (None: `keras.random.uniform`)."""
    if seed is None:
        return keras.random.uniform(shape)
    return tf.random.stateless_uniform(shape, seed=_philox_seed(seed), alg="philox")


def _philox_seed(seed):
    """Keras' int32 pair for an int or a `SeedGenerator` (which advances)."""
    seed = seed.next() if isinstance(seed, keras.random.SeedGenerator) else tf.constant([seed, 0])
    return tf.cast(tf.math.floormod(tf.cast(seed, tf.int64), tf.int32.max - 1), tf.int32)


def compile_function(model, key, fn, xla=True):
    cache = model.__dict__.setdefault("_keras_ar_compiled", {})
    if key not in cache:
        cache[key] = CompiledFunction(fn) if xla else tf.function(fn, reduce_retracing=True)
    return cache[key]


def scan(body, carry, xs, length, y_dtypes, reverse=False):
    """`body(carry, x_i) -> (carry, y_i)` for i in range(length) (reversed if asked);
    `xs` are indexed on axis 0, the `y_i` stacked on axis 0 (a TensorArray, which XLA
    turns into in-place updates of one buffer)."""
    ys = tf.nest.map_structure(
        lambda dtype: tf.TensorArray(dtype, size=length, infer_shape=True), y_dtypes
    )

    def loop_body(i, carry, ys):
        index = length - 1 - i if reverse else i
        carry, y = body(carry, tf.nest.map_structure(lambda x: x[index], xs))
        ys = tf.nest.map_structure(lambda array, value: array.write(index, value), ys, y)
        return i + 1, carry, ys

    _, carry, ys = tf.while_loop(
        lambda i, *_: i < length, loop_body, (tf.constant(0), carry, ys)
    )
    return carry, tf.nest.map_structure(lambda array: array.stack(), ys)


def vjp(fn, primals, cotangents):
    """The cotangents of `primals` (a tuple of tensors / dicts) for `fn(*primals)`."""
    with tf.GradientTape() as tape:
        tape.watch(primals)
        outputs = fn(*primals)
    grads = tape.gradient(outputs, primals, output_gradients=cotangents)
    return tf.nest.map_structure(
        lambda primal, grad: tf.zeros_like(primal) if grad is None else grad, primals, grads
    )


def _running_sum_loops(model):
    """The forward and backward loops of `model`'s blocked running sum, compiled once."""
    loops = model.__dict__.get("_keras_ar_running_sum_loops")
    if loops is not None:
        return loops

    def forward(initial, x_blocks, weight_blocks, valid):
        def body(carry, xs):
            running, total = carry
            x_block, weights, valid_block = xs
            log_prob, running = model.block_log_prob(weights, running, x_block, valid_block)
            return (running, total + log_prob), ()

        (end, total), _ = scan(
            body, (initial, tf.zeros_like(initial[:, 0])), (x_blocks, weight_blocks, valid),
            x_blocks.shape[0], (),
        )
        return total, end

    def backward(upstream, end, x_blocks, weight_blocks, valid):
        dtypes = {name: w.dtype for name, w in weight_blocks.items()}
        (_, d_initial), d_blocks = scan(
            model.backward_scan_body(upstream, vjp), (end, tf.zeros_like(end)), (x_blocks, weight_blocks, valid),
            x_blocks.shape[0], dtypes, reverse=True,
        )
        return d_initial, d_blocks

    loops = (CompiledFunction(forward), CompiledFunction(backward))
    model.__dict__["_keras_ar_running_sum_loops"] = loops
    return loops


def running_sum_log_prob(model, initial, x_blocks, weight_blocks, valid):
    forward, backward = _running_sum_loops(model)
    names = sorted(weight_blocks)

    @tf.custom_gradient
    def log_prob(initial, *weights):
        blocks = dict(zip(names, weights))
        # the tape must not look inside the forward loop (`grad` below is its gradient;
        # its loops may hold ops that have none, such as a dynamic update slice)
        total, end = forward(*tf.nest.map_structure(tf.stop_gradient, (initial, x_blocks, blocks, valid)))

        def grad(upstream):
            d_initial, d_blocks = backward(upstream, end, x_blocks, blocks, valid)
            return (d_initial, *[d_blocks[name] for name in names])

        return total, grad

    return log_prob(initial, *[weight_blocks[name] for name in names])


_COMPILED = {}


def _cached(fn):
    if fn not in _COMPILED:
        _COMPILED[fn] = CompiledFunction(fn)
    return _COMPILED[fn]


def compiled(fn):
    """`fn` (a module-level function of tensors) as one XLA-compiled function, cached;
    variables are read before the call, as tensors."""
    return lambda *args: _cached(fn)(*[tf.identity(a) for a in args])


def with_gradient(forward, backward, *primals):
    """`forward(*primals)[0]`, differentiated by `backward(residuals, upstream)`; both
    run as XLA-compiled functions (their loops then cost microseconds per step)."""
    forward, backward = _cached(forward), _cached(backward)

    @tf.custom_gradient
    def fn(*primals):
        outputs, residuals = forward(*primals)
        return outputs, lambda upstream: list(backward(residuals, upstream))

    return fn(*[tf.identity(p) for p in primals])  # variables read outside `fn`


# tf.distribute and tf.summary, for `keras_ar.distribute` and the TensorBoard callback


def num_replicas():
    return tf.distribute.get_strategy().num_replicas_in_sync


def creation_scope(strategy):
    """`strategy.scope()` unless a strategy is already active."""
    return contextlib.nullcontext() if tf.distribute.has_strategy() else strategy.scope()


def is_multi_worker(strategy):
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def make_strategy(name):
    """`tf.distribute.MirroredStrategy()` ("mirrored") or `MultiWorkerMirroredStrategy()`
    ("multi_worker", which reads `TF_CONFIG`)."""
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    return tf.distribute.MultiWorkerMirroredStrategy()


def scalar_writer(log_dir):
    return tf.summary.create_file_writer(log_dir)


def write_epoch_scalar(writer, tag, value, epoch):
    """One scalar as `keras.callbacks.TensorBoard` writes it (the "scalars" plugin)."""
    from tensorflow.core.framework import summary_pb2

    metadata = summary_pb2.SummaryMetadata()
    metadata.plugin_data.plugin_name = "scalars"
    with writer.as_default():
        tf.summary.write(tag, tf.constant(float(value)), step=epoch, metadata=metadata)


def place_training_state(model):
    """Nothing to do: TensorFlow compiles the step once."""


def untie_averaged_weights(model):
    """Nothing to do: a TensorFlow variable's assign copies."""
