"""Reliability battery, part 1 (data): bad data is rejected clearly, before any computation.

The cases here give bad data to the models' data entry points (`log_prob`, `fit`,
`evaluate`, for bits, categories, reals and token ids) and bad options or files to the
data set loaders; each must raise the stated exception with a message that names the
problem, and a model must not have started computing or training (the battery's
machinery is in `bad_inputs.py`). Also here: the tripwire itself is tested, unusual
but valid inputs are accepted, and the number of cases of the whole battery (these and
`test_robustness_inputs_arguments.py`'s) is asserted, so the count in the report is
checked.
"""

import re

import keras
import numpy as np
import pytest

import keras_ar as ka
from keras_ar import datasets

from bad_inputs import (
    Computed,
    T,
    assert_rejected_before_computing,
    binary,
    case_table,
    compiled,
    dataset,
    model,
    tripwire,
    with_value,
)
from test_robustness_inputs_arguments import CASES as ARGUMENT_CASES

# --------------------------------------------------------------------------- the cases
# (id, model name or None, callable(model) -> None, exception, regex the message must match)

CASES, case = case_table()

# ---- data given to log_prob / fit / evaluate: binary models
for m_name in ("fvsbn", "nade", "made"):
    case(f"{m_name}-log_prob-feature-dim", m_name, lambda m: m.log_prob(binary((4, 7))),
         ValueError, r"Expected 5 features per example, got 7.*input_dim")
    case(f"{m_name}-log_prob-rank1", m_name, lambda m: m.log_prob(binary((5,))),
         ValueError, r"shape \(batch, 5\), got shape \(5,\).*x\[None\]")
    case(f"{m_name}-log_prob-non-binary", m_name,
         lambda m: m.log_prob(with_value(with_value(binary(), (0, 1), 0.5), (2, 3), 2.0)),
         ValueError, r"binary data, but 2 of 20 value\(s\) are not 0 or 1 \(values range over "
                     r"\[0\.0, 2\.0\]\)\. Binarize")
    case(f"{m_name}-fit-nan", m_name, lambda m: compiled(m).fit(with_value(binary(), (1, 2), T)),
         ValueError, r"1 NaN or infinite value\(s\) \(first in example 1\)")
case("nade-log_prob-rank3-wrong", "nade", lambda m: m.log_prob(binary((4, 2, 3))),
     ValueError, r"Expected shape \(batch, 5\), got \(4, 2, 3\)")
case("nade-log_prob-inf", "nade", lambda m: m.log_prob(with_value(binary(), (3, 0), np.inf)),
     ValueError, r"NaN or infinite value\(s\) \(first in example 3\)")
case("nade-log_prob-empty", "nade", lambda m: m.log_prob(np.zeros((0, 5), "float32")),
     ValueError, r"non-empty batch.*\(0, 5\)")
case("nade-log_prob-scalar", "nade", lambda m: m.log_prob(1.0),
     ValueError, r"non-empty batch.*scalar")
case("nade-log_prob-strings", "nade", lambda m: m.log_prob(np.array([["a"] * 5])),
     TypeError, r"numeric array, got dtype <U1")
case("nade-log_prob-none", "nade", lambda m: m.log_prob(None), TypeError, r"got None")
case("nade-log_prob-ragged", "nade", lambda m: m.log_prob([[0, 1, 0, 1, 0], [0, 1]]),
     ValueError, r"same length")
case("nade-log_prob-complex", "nade", lambda m: m.log_prob(binary().astype("complex64")),
     TypeError, r"complex64")
case("nade-log_prob-grey-levels", "nade",
     lambda m: m.log_prob(np.arange(20, dtype="uint8").reshape(4, 5) * 10),
     ValueError, r"19 of 20 value\(s\) are not 0 or 1 \(values range over \[0, 190\]\)\. "
                 r"Binarize first")
case("nade-log_prob-batch_size-0", "nade", lambda m: m.log_prob(binary(), batch_size=0),
     ValueError, r"`batch_size` must be an integer >= 1, got 0")
case("nade-fit-empty", "nade", lambda m: compiled(m).fit(np.zeros((0, 5), "float32")),
     ValueError, r"non-empty batch")
case("nade-fit-x-y", "nade", lambda m: compiled(m).fit(binary(), binary()),
     ValueError, r"trained on x alone: call fit\(x\)")
case("nade-fit-dataset-tuples", "nade",
     lambda m: compiled(m).fit(dataset((binary(), binary()))),
     ValueError, r"yields tuples of 2 elements.*ds\.map\(lambda x, y: x\)")
case("nade-fit-dataset-nan", "nade",
     lambda m: compiled(m).fit(dataset(with_value(binary(), (0, 0), T))),
     ValueError, r"NaN or infinite")
case("nade-fit-dataset-feature-dim", "nade",
     lambda m: compiled(m).fit(dataset(binary((4, 6)))),
     ValueError, r"Expected 5 features per example, got 6")
case("nade-fit-validation-non-binary", "nade",
     lambda m: compiled(m).fit(binary(), validation_data=binary() * 3),
     ValueError, r"not 0 or 1.*Binarize")
case("nade-fit-validation-x-y", "nade",
     lambda m: compiled(m).fit(binary(), validation_data=(binary(), binary())),
     ValueError, r"tuple of 2 arrays; density models use x alone")
case("nade-evaluate-feature-dim", "nade", lambda m: compiled(m).evaluate(binary((4, 3))),
     ValueError, r"Expected 5 features per example, got 3")

# ---- categorical
cat = lambda: np.random.default_rng(1).integers(0, 3, (4, 5)).astype("int32")  # noqa: E731
case("categorical-log_prob-equal-K", "categorical_nade",
     lambda m: m.log_prob(with_value(cat(), (0, 0), 3)),
     ValueError, r"1 value\(s\) are outside \[0, 3\).*Quantize the data to num_categories=3")
case("categorical-log_prob-negative", "categorical_nade",
     lambda m: m.log_prob(with_value(cat(), (1, 1), -1)),
     ValueError, r"outside \[0, 3\) \(range \[-1, 2\]\)")
case("categorical-log_prob-fraction", "categorical_nade",
     lambda m: m.log_prob(with_value(cat().astype("float32"), (0, 0), 1.5)),
     ValueError, r"must be integers; got 1 non-integer value\(s\) that a cast would silently "
                 r"truncate")
case("categorical-log_prob-nan", "categorical_nade",
     lambda m: m.log_prob(with_value(cat().astype("float32"), (0, 0), T)),
     ValueError, r"NaN or infinite")
case("categorical-log_prob-int64-huge", "categorical_nade",
     lambda m: m.log_prob(with_value(cat().astype("int64"), (0, 0), 2**40)),
     ValueError, r"outside \[0, 3\)")
case("categorical-fit-grey-levels", "categorical_nade",
     lambda m: compiled(m).fit(np.full((4, 5), 200, "uint8")),
     ValueError, r"20 value\(s\) are outside \[0, 3\)")

# ---- real
case("rnade-log_prob-float64-overflow", "rnade",
     lambda m: m.log_prob(with_value(np.zeros((2, 5)), (0, 0), 1e300)),
     ValueError, r"exceed the float32 range.*would become inf")
case("rnade-log_prob-nan", "rnade", lambda m: m.log_prob(with_value(np.zeros((2, 5)), (1, 4), T)),
     ValueError, r"NaN or infinite value\(s\) \(first in example 1\)")
case("rnade-fit-minus-inf", "rnade",
     lambda m: compiled(m).fit(with_value(np.zeros((2, 5), "float32"), (0, 0), -np.inf)),
     ValueError, r"NaN or infinite")

# ---- token ids (CharRNN, vocab_size 4)
case("char_rnn-log_prob-id-too-large", "char_rnn", lambda m: m.log_prob(np.array([[1, 4, 0]])),
     ValueError, r"must be < vocab_size=4; got 1 id\(s\) up to 4.*own Vocabulary")
case("char_rnn-log_prob-fraction", "char_rnn", lambda m: m.log_prob(np.array([[1.0, 2.5]])),
     ValueError, r"Token ids must be integers.*truncate")
case("char_rnn-log_prob-nan", "char_rnn", lambda m: m.log_prob(np.array([[1.0, T]])),
     ValueError, r"NaN or infinite")
case("char_rnn-log_prob-rank1", "char_rnn", lambda m: m.log_prob(np.array([1, 2, 0])),
     ValueError, r"shape \(batch, length\), got shape \(3,\)")
case("char_rnn-log_prob-inner-padding", "char_rnn",
     lambda m: m.log_prob(np.array([[1, 2, 0], [1, -1, 2]])),
     ValueError, r"Padding \(ids < 0\) must be at the end of each row; row\(s\) \[1\]")
case("char_rnn-log_prob-all-padding", "char_rnn", lambda m: m.log_prob(np.full((2, 3), -1)),
     ValueError, r"Every position is padding")
case("char_rnn-log_prob-zero-length", "char_rnn", lambda m: m.log_prob(np.zeros((2, 0), "int32")),
     ValueError, r"non-empty sequences")
case("char_rnn-log_prob-text", "char_rnn", lambda m: m.log_prob(np.array([["ab"]])),
     TypeError, r"Vocabulary\.encode")
case("char_rnn-fit-id-too-large", "char_rnn",
     lambda m: compiled(m).fit(np.array([[1, 2, 9, 0]] * 2)),
     ValueError, r"vocab_size=4")

# ---- data loaders (no real data needed)
for d_id, fn, exc, pattern in [
    ("unknown-name", lambda: datasets.load("cifar10"), ValueError, r"Unknown data set 'cifar10'; known data sets: \["),
    ("unknown-split", lambda: datasets.load("digits", "validation"), ValueError, r"valid splits: \['train', 'valid', 'test'\]"),
    ("unknown-option", lambda: datasets.load("digits", levels=4), ValueError, r"Unknown option\(s\) \['levels'\].*num_levels"),
    ("num_levels-1", lambda: datasets.load("digits", num_levels=1), ValueError, r"num_levels must be in \[2, 17\], got 1"),
    ("num_levels-fraction", lambda: datasets.load("digits", num_levels=2.5), ValueError, r"num_levels must be an integer in \[2, 17\], got 2\.5"),
    ("num_levels-too-many", lambda: datasets.load("digits", num_levels=100), ValueError, r"\[2, 17\], got 100"),
    ("threshold-nan", lambda: datasets.load("digits", threshold=float("nan")), ValueError, r"threshold must be a finite number"),
    ("batch_size-0", lambda: datasets.load("digits", as_dataset=True, batch_size=0), ValueError, r"batch_size must be an integer >= 1, got 0"),
    ("batch_size-without-as_dataset", lambda: datasets.load("digits", batch_size=4), ValueError, r"need as_dataset=True"),
    ("as_dataset-on-text", lambda: datasets.load("embedded_names", as_dataset=True), ValueError, r"not supported for the text data set"),
    ("path-for-embedded", lambda: datasets.load("digits", path="/tmp/x.npz"), ValueError, r"embedded in keras-ar and takes no path"),
    ("quantize-out-of-range", lambda: datasets.quantize(np.array([0, 256]), 4), ValueError, r"values must be in \[0, 256\), got range \[0, 256\]"),
    ("quantize-nan", lambda: datasets.quantize(np.array([0.0, np.nan]), 4), ValueError, r"NaN, inf or fractions"),
    ("quantize-fraction", lambda: datasets.quantize(np.array([0.0, 1.5]), 4), ValueError, r"silently truncate"),
    ("to_tf_dataset-empty", lambda: datasets.to_tf_dataset(np.zeros((0, 3))), ValueError, r"empty data"),
    ("to_tf_dataset-nan", lambda: datasets.to_tf_dataset(np.array([[np.nan]])), ValueError, r"1 NaN or infinite"),
]:
    case(f"datasets-{d_id}", None, lambda m, fn=fn: fn(), exc, pattern)


def _npz(tmp, name, **arrays):
    path = tmp / name
    np.savez(path, **arrays)
    return path


def _truncated_binarized(tmp):
    full = _npz(tmp, "full.npz", train=np.zeros((2, 784), "uint8")).read_bytes()
    (tmp / "binarized_mnist.npz").write_bytes(full[:100])
    datasets.load("binarized_mnist", path=tmp / "binarized_mnist.npz")


def _binarized(tmp, train):
    path = _npz(tmp, "binarized_mnist.npz", train=train, valid=np.zeros((1, 784)),
                test=np.zeros((1, 784)))
    datasets.load("binarized_mnist", path=path)


def _mnist_test(tmp, x_test):
    datasets.load("mnist", "test", path=_npz(tmp, "mnist.npz", x_train=np.zeros((2, 28, 28)),
                                             x_test=x_test))


FILE_LOADER_CASES = [
    ("binarized-truncated", _truncated_binarized,
     ValueError, r"binarized_mnist\.npz: not a readable NumPy \.npz archive"),
    ("binarized-missing-key", lambda tmp: datasets.load(
        "binarized_mnist", path=_npz(tmp, "binarized_mnist.npz", train=np.zeros((2, 784), "uint8"))),
     ValueError, r"missing key\(s\) \['valid', 'test'\]"),
    ("binarized-grey-values", lambda tmp: _binarized(tmp, np.full((2, 784), 7, "uint8")),
     ValueError, r"only 0/1 values; found e\.g\. \[7\].*load\('mnist'\)"),
    ("binarized-wrong-shape", lambda tmp: _binarized(tmp, np.zeros((2, 100))),
     ValueError, r"shape \(2, 100\); expected \(N, 784\)"),
    ("mnist-nan", lambda tmp: _mnist_test(tmp, np.full((2, 28, 28), np.nan)),
     ValueError, r"integer grey levels 0\.\.255"),
    ("mnist-fractions", lambda tmp: _mnist_test(tmp, np.full((2, 28, 28), 0.5)),
     ValueError, r"integer grey levels 0\.\.255"),
    ("freyfaces-wrong-shape", lambda tmp: datasets.load("freyfaces", path=_npz(
        tmp, "freyfaces.npz", images=np.zeros((500, 10)))), ValueError, r"shape \(500, 10\); expected"),
    ("binarized-not-found", lambda tmp: datasets.load(
        "binarized_mnist", path=tmp / "nowhere" / "binarized_mnist.npz"),
     FileNotFoundError, r"could not find 'binarized_mnist\.npz'.*Searched: .*nowhere"),
]


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("name, fn, exc, pattern", CASES)
def test_bad_input_is_rejected_with_a_clear_message(name, fn, exc, pattern):
    assert_rejected_before_computing(name, fn, exc, pattern)


@pytest.mark.parametrize(
    "fn, exc, pattern", [pytest.param(*c[1:], id=c[0]) for c in FILE_LOADER_CASES]
)
def test_bad_data_file_is_rejected_with_a_clear_message(fn, exc, pattern, tmp_path):
    with pytest.raises(exc) as info:
        fn(tmp_path)
    assert re.search(pattern, str(info.value), re.S), str(info.value)


def test_tripwire_catches_computation():
    """The battery's tripwire works: valid data reaches `call` and trips it."""
    m = model("nade")
    with tripwire(m), pytest.raises(Computed):
        m.log_prob(binary())
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(m.log_prob(binary()))))


def test_valid_edge_inputs_are_accepted():
    """The checks are not over-eager: these unusual but valid inputs all work, and give
    what the plain float32 input gives."""
    nade, cat_model, char = model("nade"), model("categorical_nade"), model("char_rnn")
    as_numpy = keras.ops.convert_to_numpy
    want = as_numpy(nade.log_prob(binary()))
    for same in (binary().astype(bool), binary().astype("uint8"), binary().tolist()):
        np.testing.assert_allclose(as_numpy(nade.log_prob(same)), want, rtol=1e-6)
    integral = as_numpy(cat_model.log_prob(np.full((2, 5), 2.0)))  # integral floats are fine
    as_ints = as_numpy(cat_model.log_prob(np.full((2, 5), 2, "int32")))
    np.testing.assert_allclose(integral, as_ints, rtol=1e-6)
    # right padding: a padded row scores its tokens only
    padded = as_numpy(char.log_prob(np.array([[1, 2, -1], [3, -1, -1]])))
    np.testing.assert_allclose(padded, [as_numpy(char.log_prob(np.array([[1, 2]])))[0],
                                        as_numpy(char.log_prob(np.array([[3]])))[0]], rtol=1e-5)
    img = ka.NADE(6, hidden_units=3, image_shape=(2, 3))
    np.testing.assert_allclose(as_numpy(img.log_prob(np.zeros((2, 2, 3)))),
                               as_numpy(img.log_prob(np.zeros((2, 6)))), rtol=1e-6)
    out = keras.ops.convert_to_numpy(
        nade.sample(3, given=np.array([1.0, np.nan, 0.0, np.nan, 1.0]), seed=1)
    )
    np.testing.assert_array_equal(out[:, [0, 2, 4]], np.tile([1.0, 0.0, 1.0], (3, 1)))
    assert ka.TopKSampler(3).k == 3
    assert model("categorical_nade").sample(2, sampler=ka.TopKSampler(3), seed=0).shape == (2, 5)


def test_number_of_bad_input_cases():
    """The report quotes this count: keep it in sync when cases are added."""
    assert len(CASES) + len(ARGUMENT_CASES) + len(FILE_LOADER_CASES) == 180
