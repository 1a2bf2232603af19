"""The bad-input battery's machinery, shared by `test_robustness_inputs_data.py` and
`test_robustness_inputs_arguments.py`.

Each case is one bad call. It must raise the stated exception type with a message
matching a pattern that names the problem (and, where there is one, the fix), and for
data entry points it must raise *before any computation*: the model's `call`, `step`
and `initial_state` are replaced by tripwires that fail the test if reached, and `fit`
must leave the optimizer untouched (`assert_rejected_before_computing`).

Here: the cached small models the cases run on, the tripwire, makers of valid and
corrupted inputs, and the case tables' constructor.
"""

import contextlib
import re

import keras
import numpy as np
import pytest

import keras_ar as ka

from model_zoo import make

_MODELS = {}


def model(name):
    """A small random model, cached (validation never mutates it)."""
    if name not in _MODELS:
        if name == "char_rnn_vocab":
            vocab = ka.Vocabulary.from_text("abc ")
            _MODELS[name] = ka.CharRNN(vocabulary=vocab, units=4, num_layers=1)
            _MODELS[name].ensure_built()
        else:
            _MODELS[name] = make(name)
    return _MODELS[name]


class Computed(AssertionError):
    """Raised by a tripwire: computation started before validation finished."""


@contextlib.contextmanager
def tripwire(m):
    """Fails with `Computed` if `call`, `step`, `initial_state` or the compiled
    `log_prob` of `m` is reached."""

    def boom(*args, **kwargs):
        raise Computed("computation started on invalid input")

    names = ("call", "step", "initial_state", "compiled_log_prob")
    for name in names:
        object.__setattr__(m, name, boom)
    try:
        yield
    finally:
        for name in names:
            object.__delattr__(m, name)


def binary(shape=(4, 5)):
    return np.random.default_rng(0).integers(0, 2, shape).astype("float32")


def with_value(x, index, value):
    """A copy of `x` (upcast if needed) with `x[index] = value`."""
    x = np.array(x, dtype=np.result_type(x, type(value)))
    x[index] = value
    return x


def dataset(x):
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices(x).batch(2)


def compiled(m):
    if getattr(m, "optimizer", None) is None:
        m.compile(optimizer=keras.optimizers.Adam(1e-3))
    return m


# a value that is not a number: the NaN of data cases, the "not given" of `given` arrays
T = float("nan")


def case_table():
    """An empty case table and the `case` that adds one case to it:
    case(id, model name or None, callable(model) -> None, exception, regex the message
    must match)."""
    cases = []

    def case(case_id, name, fn, exc, pattern):
        cases.append(pytest.param(name, fn, exc, pattern, id=case_id))

    return cases, case


def assert_rejected_before_computing(name, fn, exc, pattern):
    """Runs one case: `fn(model)` raises `exc` with a message matching `pattern`, and
    (on a model) before any computation or training step."""
    m = model(name) if name is not None else None
    iterations = None
    if m is not None:
        iterations = int(compiled(m).optimizer.iterations.numpy())
    guard = tripwire(m) if m is not None and not _is_step_case(fn) else contextlib.nullcontext()
    with guard:
        with pytest.raises(exc) as info:
            fn(m)
    assert re.search(pattern, str(info.value), re.S), (
        f"message does not match {pattern!r}:\n{info.value}"
    )
    if iterations is not None:
        assert int(m.optimizer.iterations.numpy()) == iterations, "training ran on bad data"


def _is_step_case(fn):
    """A case built by `step_with` calls `step` itself, so it runs without the tripwire."""
    return getattr(fn, "__qualname__", "").startswith("step_with")
