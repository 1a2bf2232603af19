"""Reliability battery, part 4: property-based tests (hypothesis).

Random model shapes (input_dim, hidden units, components, categories, layers),
random orderings, random weights and random valid inputs. Properties:
- discrete models: log_prob finite and <= 0, and a full enumeration sums to 1;
- step-by-step log p(x) equals the parallel `log_prob` (every model, any ordering);
- samples have the right shape and value range, and keep the `given` values;
- RNADE log_prob is finite for any finite float32 input;
- validation rejects exactly the arrays with a non-binary value, and says how many.

`derandomize=True` makes every run try the same examples (a deterministic CI battery);
`deadline=None` because the first call of a Keras model traces functions.
"""

import itertools

import keras
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import keras_ar as ka

from model_zoo import randomize

to_np = keras.ops.convert_to_numpy
SETTINGS = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

DISCRETE = ["fvsbn", "nade", "made", "made_ensemble", "categorical_nade"]
IMAGE = DISCRETE + ["rnade"]


@st.composite
def image_models(draw, names=tuple(IMAGE), max_dim=6):
    """A spec (name, kwargs, seed) of a small image model: random shape and ordering.
    The model itself is built by `build` in the test (Keras may use `random`)."""
    name = draw(st.sampled_from(names))
    n = draw(st.integers(1, max_dim))
    kwargs = {"input_dim": n, "ordering": draw(st.none() | st.permutations(list(range(n))))}
    hidden = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**16))
    if name == "nade":
        kwargs.update(hidden_units=hidden,
                      activation=draw(st.sampled_from(["sigmoid", "relu", "tanh"])))
    elif name in ("made", "made_ensemble"):
        kwargs.update(hidden_units=draw(st.lists(st.integers(1, 8), min_size=1, max_size=2)),
                      num_masks=1 if name == "made" else draw(st.integers(2, 3)),
                      hidden_degrees=draw(st.sampled_from(["random", "equal"])), seed=seed)
    elif name == "categorical_nade":
        kwargs.update(num_categories=draw(st.integers(2, 5)), hidden_units=hidden)
    elif name == "rnade":
        kwargs.update(hidden_units=hidden, num_components=draw(st.integers(1, 3)))
    return name, kwargs, seed


CLASSES = {"fvsbn": ka.FVSBN, "nade": ka.NADE, "made": ka.MADE, "made_ensemble": ka.MADE,
           "categorical_nade": ka.CategoricalNADE, "rnade": ka.RNADE}


def build(spec):
    name, kwargs, seed = spec
    model = CLASSES[name](**kwargs)
    return randomize(model, seed=seed, scale=0.3 if name == "rnade" else 1.0)


def valid_inputs(model, batch):
    n = model.input_dim
    if model.input_kind == "binary":
        return hnp.arrays("float32", (batch, n), elements=st.sampled_from([0.0, 1.0]))
    if model.input_kind == "categorical":
        return hnp.arrays("int32", (batch, n), elements=st.integers(0, model.num_categories - 1))
    return hnp.arrays("float32", (batch, n),
                      elements=st.floats(-5, 5, width=32, allow_nan=False, allow_infinity=False))


def stepwise_log_prob(model, x):
    """log p(x) by `step` from `initial_state`, in the model's ordering (float64 sum)."""
    steps = x[:, model.ordering]
    dtype = model.distribution.value_dtype
    state = model.initial_state(x.shape[0])
    x_prev = np.zeros((x.shape[0],), dtype)
    total = np.zeros((x.shape[0],))
    for i in range(steps.shape[1]):
        params, state = model.step(state, x_prev)
        x_prev = steps[:, i].astype(dtype)
        total += to_np(model.distribution.log_prob(params, x_prev))
    return total


@SETTINGS
@given(data=st.data(), spec=image_models(names=tuple(DISCRETE)))
def test_discrete_log_prob_finite_nonpositive_and_normalized(data, spec):
    model = build(spec)
    x = data.draw(valid_inputs(model, data.draw(st.integers(1, 5))))
    log_p = to_np(model.log_prob(x))
    assert log_p.shape == (x.shape[0],)
    assert np.all(np.isfinite(log_p)) and np.all(log_p <= 1e-6)
    values = 2 if model.input_kind == "binary" else model.num_categories
    if values**model.input_dim <= 64:
        every = np.array(list(itertools.product(range(values), repeat=model.input_dim)))
        every = every.astype(model.distribution.value_dtype)
        total = np.exp(to_np(model.log_prob(every)).astype("float64")).sum()
        assert abs(total - 1.0) < 1e-4, total


@SETTINGS
@given(data=st.data(), spec=image_models(names=("fvsbn", "nade", "made", "categorical_nade",
                                               "rnade")))
def test_step_by_step_equals_parallel_log_prob(data, spec):
    model = build(spec)
    x = data.draw(valid_inputs(model, data.draw(st.integers(1, 4))))
    parallel = to_np(model.log_prob(x)).astype("float64")
    stepwise = stepwise_log_prob(model, x)
    np.testing.assert_allclose(stepwise, parallel, rtol=1e-4, atol=1e-3)


@SETTINGS
@given(data=st.data(), spec=image_models())
def test_samples_have_the_right_shape_range_and_keep_given_values(data, spec):
    model = build(spec)
    num = data.draw(st.integers(1, 4))
    n = model.input_dim
    samples = to_np(model.sample(num, seed=data.draw(st.integers(0, 1000))))
    assert samples.shape == (num, n)
    assert np.all(np.isfinite(samples))
    if model.input_kind == "binary":
        assert set(np.unique(samples)) <= {0.0, 1.0}
    elif model.input_kind == "categorical":
        assert samples.min() >= 0 and samples.max() < model.num_categories
        assert np.all(samples == np.round(samples))
    observed = data.draw(hnp.arrays(bool, (num, n)))
    values = data.draw(valid_inputs(model, num)).astype("float32")
    completed = to_np(model.sample(num, seed=1, given=values, observed=observed))
    np.testing.assert_allclose(completed[observed], values[observed], atol=1e-6)


@SETTINGS
@given(
    data=st.data(),
    vocab_size=st.integers(2, 6),
    units=st.integers(1, 5),
    layers=st.integers(1, 2),
    cell=st.sampled_from(["gru", "simple_rnn"]),
    seed=st.integers(0, 2**16),
)
def test_char_rnn_properties(data, vocab_size, units, layers, cell, seed):
    model = randomize(ka.CharRNN(vocab_size, units=units, num_layers=layers, cell=cell), seed=seed)
    batch, length = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 6))
    ids = data.draw(hnp.arrays("int32", (batch, length), elements=st.integers(0, vocab_size - 1)))
    lengths = data.draw(hnp.arrays("int64", (batch,), elements=st.integers(1, length)))
    ids = np.where(np.arange(length)[None] < lengths[:, None], ids, -1)  # right padding
    log_p = to_np(model.log_prob(ids)).astype("float64")
    assert np.all(np.isfinite(log_p)) and np.all(log_p <= 1e-6)
    # step by step from the boundary token, padding scores 0
    state = model.initial_state(batch)
    x_prev = np.zeros((batch,), "int32")
    total = np.zeros(batch)
    for t in range(length):
        params, state = model.step(state, x_prev)
        step_lp = to_np(model.distribution.log_prob(params, np.maximum(ids[:, t], 0)))
        total += np.where(ids[:, t] >= 0, step_lp, 0.0)
        x_prev = np.maximum(ids[:, t], 0).astype("int32")
    np.testing.assert_allclose(total, log_p, rtol=1e-4, atol=1e-4)
    samples = to_np(model.sample(batch, seed=seed % 1000, length=length))
    assert samples.shape == (batch, length)
    assert samples.min() >= 0 and samples.max() < vocab_size


@SETTINGS
@given(data=st.data(), spec=image_models(names=("rnade",)))
def test_rnade_log_prob_finite_for_any_finite_float32(data, spec):
    model = build(spec)
    x = data.draw(hnp.arrays("float32", (2, model.input_dim),
                             elements=st.floats(width=32, allow_nan=False, allow_infinity=False)))
    assert np.all(np.isfinite(to_np(model.log_prob(x))))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(x=hnp.arrays("float64", hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5),
                    elements=st.sampled_from([0.0, 1.0, 0.5, -1.0, 2.0, 255.0, 1e-9])))
def test_binary_validation_rejects_exactly_the_non_binary_arrays(x):
    from keras_ar.validation import check_inputs

    bad = int(np.sum((x != 0) & (x != 1)))
    if bad == 0:
        assert check_inputs(x, "binary", input_dim=x.shape[1]).dtype == np.float32
        return
    try:
        check_inputs(x, "binary", input_dim=x.shape[1])
    except ValueError as error:
        assert f"{bad} of {x.size} value(s) are not 0 or 1" in str(error)
        assert f"[{x.min()}, {x.max()}]" in str(error)
    else:
        raise AssertionError("non-binary data accepted")


@settings(max_examples=40, deadline=None, derandomize=True)
@given(n=st.integers(1, 7), data=st.data())
def test_orderings_are_accepted_iff_they_are_permutations(n, data):
    candidate = data.draw(st.lists(st.integers(-1, n), min_size=0, max_size=n + 1))
    is_permutation = sorted(candidate) == list(range(n))
    try:
        model = ka.FVSBN(n, ordering=candidate)
    except ValueError as error:
        assert not is_permutation
        assert f"permutation of range({n})" in str(error)
    else:
        assert is_permutation
        np.testing.assert_array_equal(model.ordering, candidate)
