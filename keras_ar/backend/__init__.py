"""Backend-specific fast paths, one module per backend; the models stay `keras.ops`.

- `tensorflow.py`: loops in `tf.while_loop`, compiled with XLA (`tf.function(
  jit_compile=True)`, a plain graph where XLA is unavailable), `tf.custom_gradient`.
- `jax.py`: `lax.scan`, `jax.jit` with the model's weights as arguments (stateless, so
  a retrained model never runs with stale weights), `jax.custom_vjp`.
- other backends (torch): no fast path; the models' vectorized `keras.ops` code and
  the samplers' `fori_loop` run as they are.

Each backend module provides `scan(body, carry, xs, length, y_dtypes, reverse)`,
`vjp(fn, primals, cotangents)`, `compile_function(model, key, fn, xla)`,
`uniform(shape, seed)`, `auto_jit_compile(model)`, `batch_parts()`, `lanes()`,
`map_lanes(fn, inputs, lanes)`, `SMALL_LOOPS`, `KERAS_RNN_IN_LANES`,
`READ_UPDATED_CARRY`, `with_gradient(forward, backward, *primals)`,
`running_sum_log_prob(model, initial, x_blocks, weight_blocks, valid)`,
`place_training_state(model)` and `untie_averaged_weights(model)`.
"""

import importlib

import keras

_MODULES = {"tensorflow": "keras_ar.backend.tensorflow", "jax": "keras_ar.backend.jax"}


def has_fast_paths():
    """Whether the current Keras backend has compiled loops (TensorFlow, JAX)."""
    return keras.backend.backend() in _MODULES


_LOADED = {}


def current():
    """The fast-path module of the current Keras backend (None: no fast path)."""
    backend = keras.backend.backend()
    if backend not in _LOADED:
        name = _MODULES.get(backend)
        _LOADED[backend] = importlib.import_module(name) if name else None
    return _LOADED[backend]


# imported now, not on a first call inside a traced function (where TensorFlow's AutoGraph
# warned that it could not transform the import machinery)
current()


def scan(body, carry, xs, length, y_dtypes, reverse=False):
    """`jax.lax.scan` semantics: `body(carry, x_i) -> (carry, y_i)`, ys stacked on axis 0."""
    return current().scan(body, carry, xs, length, y_dtypes, reverse=reverse)


def compile_function(model, key, fn, xla=True):
    """`fn` compiled once per (model, key); it reads the model's current weights.
    `xla=False` (TensorFlow): one graph, not one XLA compilation, for inputs whose
    shapes vary (sequences) or functions whose loops compile themselves and should
    run side by side (`batch_parts`)."""
    module = current()
    return module.compile_function(model, key, fn, xla=xla) if module else fn


def auto_jit_compile(model):
    """What `jit_compile="auto"` means for a model whose training step runs faster with
    XLA (`AutoregressiveModel.train_with_xla`): True on TensorFlow outside
    `tf.distribute`, else Keras' own "auto"."""
    module = current()
    return module.auto_jit_compile(model) if module else "auto"


def uniform(shape, seed=None):
    """`keras.random.uniform(shape, seed=seed)` in [0, 1), drawn so that it stays fast
    under XLA. TensorFlow: the Philox algorithm named, which is what the automatic
    choice runs without XLA (the same numbers as Keras' there); under XLA on the CPU
    the automatic choice drew a (100, 784) tensor in 22 ms, Philox in 0.4 ms."""
    module = current()
    return module.uniform(shape, seed) if module else keras.random.uniform(shape, seed=seed)


def batch_parts():
    """How many independent loops to cut a batch into (1: no cut; see
    `RunningSumModel.loop_log_prob`)."""
    module = current()
    return module.batch_parts() if module else 1


def lanes():
    """How many parts of a batch run side by side (TensorFlow: the CPU cores, up to 4,
    as graph branches; JAX: the CPU devices; 1 on an accelerator or another backend)."""
    module = current()
    return module.lanes() if module else 1


UNROLLED_LOOPS = 8


def place_training_state(model):
    """Puts the weights and the optimizer's state where the training step leaves them,
    before `fit`, so that the step is compiled once for all calls (see the backend's)."""
    module = current()
    if module is not None:
        module.place_training_state(model)


def untie_averaged_weights(model):
    """Gives each trainable weight its own buffer again after `fit` with `use_ema`, where
    Keras assigned each weight its moving average. On JAX the two variables then held
    one array, which the next `fit` donated twice ("Attempt to donate the same buffer
    twice"), losing the weights; other backends copy on assignment (no-op there)."""
    module = current()
    optimizer = getattr(model, "optimizer", None)
    if module is not None and getattr(optimizer, "use_ema", False):
        module.untie_averaged_weights(model)


def in_batch_parts(fn, *inputs, fill=0, max_rows=None, small_loops=None):
    """`fn(*inputs)` computed on equal parts of the batch (axis 0 of every input; None
    inputs pass through), concatenated: rows are padded with `fill` (False for bool
    inputs) to a multiple of the parts, and their outputs dropped. `fn` must treat
    rows independently.

    The backend's `lanes()` run side by side (TensorFlow: graph branches on the CPU
    cores; JAX: CPU devices). On a backend with `SMALL_LOOPS` (JAX), `max_rows` cuts
    each lane's rows further into loops of at most `max_rows` rows run one after
    another, when the batch size is known: up to `UNROLLED_LOOPS` written out one
    after another (measured 5-15% faster than a loop over them), more in one
    `keras.ops.map` loop (compiled once, however many: a batch of 20,000 samples
    would otherwise compile 313 copies). `small_loops=True` cuts by `max_rows` on
    every backend (False: never; None: where the backend's `SMALL_LOOPS` says)."""
    if batch_parts() == 1:
        return fn(*inputs)
    module = current()
    batch_size = keras.ops.shape(inputs[0])[0]
    lanes = module.lanes()
    loops = 1
    small_loops = module.SMALL_LOOPS if small_loops is None else small_loops
    if max_rows and small_loops and isinstance(batch_size, int):
        per_lane = -(-batch_size // lanes)
        loops = max(1, -(-per_lane // max_rows))
    padding = (-batch_size) % (lanes * loops)
    padded = [None if t is None else _pad_rows(t, padding, fill) for t in inputs]
    apply = split_apply if loops <= UNROLLED_LOOPS else map_apply
    return module.map_lanes(lambda *lane: apply(fn, lane, loops), padded, lanes)[:batch_size]


def split_apply(fn, inputs, parts):
    """`fn` on `parts` equal row slices of `inputs` (None inputs pass through), one
    after another in the program, outputs concatenated on axis 0."""
    if parts == 1:
        return fn(*inputs)
    split = [None if t is None else keras.ops.split(t, parts) for t in inputs]
    outputs = [fn(*[None if t is None else t[i] for t in split]) for i in range(parts)]
    return keras.ops.concatenate(outputs, axis=0)


def map_apply(fn, inputs, parts):
    """`fn` on `parts` equal row slices of `inputs` (None inputs pass through), one
    after another in a `keras.ops.map` loop (one copy of `fn` in the program), outputs
    concatenated on axis 0."""
    if parts == 1:
        return fn(*inputs)
    stacked = [keras.ops.reshape(t, (parts, -1) + tuple(t.shape[1:])) for t in inputs if t is not None]
    outputs = keras.ops.map(lambda arrays: fn(*fill_present(inputs, arrays)), stacked)  # (parts, rows, ...)
    return keras.ops.reshape(outputs, (-1,) + tuple(outputs.shape[2:]))


def fill_present(inputs, arrays):
    """`inputs` with its non-None entries replaced, in order, by `arrays` (None stays)."""
    arrays = iter(arrays)
    return [None if t is None else next(arrays) for t in inputs]


def _pad_rows(tensor, padding, fill):
    tensor = keras.ops.convert_to_tensor(tensor)
    widths = [[0, padding]] + [[0, 0]] * (len(tensor.shape) - 1)
    if tensor.dtype == "bool":
        return keras.ops.cast(keras.ops.pad(keras.ops.cast(tensor, "int32"), widths), "bool")
    return keras.ops.pad(tensor, widths, constant_values=fill)


def read_updated_carry():
    """Whether a loop body should read its carry only through the updated value (JAX:
    XLA copies a carry that is read after its in-place update; see the backends)."""
    module = current()
    return module is not None and module.READ_UPDATED_CARRY


def keras_rnn_in_lanes():
    """Whether Keras' own recurrent layers may run inside `in_batch_parts`' lanes."""
    module = current()
    return module is None or module.KERAS_RNN_IN_LANES


def compiled(fn):
    """`fn` (a module-level function of tensors) compiled once: its loops then cost
    microseconds per step (TensorFlow: XLA; JAX: the caller's jit)."""
    return current().compiled(fn)


def with_gradient(forward, backward, *primals):
    """`forward(*primals) -> (outputs, residuals)` with the custom gradient
    `backward(residuals, upstream) -> (d primal for each primal)`."""
    return current().with_gradient(forward, backward, *primals)


def running_sum_log_prob(model, initial, x_blocks, weight_blocks, valid):
    """The blocked running-sum loop with its O(n d)-memory custom gradient (see
    `RunningSumModel`): total log p `(batch,)` from `initial` `(batch, d)`, `x_blocks`
    `(m, batch, K)`, `weight_blocks` `{name: (m, K, ...)}` and `valid` `(m, K)`."""
    return current().running_sum_log_prob(model, initial, x_blocks, weight_blocks, valid)
