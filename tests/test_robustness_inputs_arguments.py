"""Reliability battery, part 1 (arguments): bad arguments are rejected clearly.

The cases here pass bad arguments rather than bad data: to sampling (`temperature`,
`num_samples`, `noise`, `given`, `observed`, `length`, samplers), to `step` (`x_prev`,
`state`), to the models' constructors (hyper-parameters, orderings, image shapes), to
`Vocabulary` and to `CharRNN.generate`. Each must raise the stated exception with a
message that names the problem (the battery's machinery is in `bad_inputs.py`). Also
here: the vocabulary's out-of-vocabulary policies, `generate` from an empty or unknown
prompt, and the contract checks that run before a subclass's hooks.
"""

import keras
import numpy as np
import pytest

import keras_ar as ka

from bad_inputs import T, assert_rejected_before_computing, case_table, model

# --------------------------------------------------------------------------- the cases
# (id, model name or None, callable(model) -> None, exception, regex the message must match)

CASES, case = case_table()

# ---- temperature / samplers
for bad, exc, pattern in [
    (0.0, ValueError, r"finite number > 0, got 0\.0.*GreedySampler"),
    (-1.0, ValueError, r"finite number > 0, got -1\.0"),
    (T, ValueError, r"finite number > 0, got nan"),
    (np.inf, ValueError, r"finite number > 0, got inf"),
    ("hot", TypeError, r"one number > 0, got 'hot'"),
    ([1.0, 2.0], TypeError, r"one number > 0"),
    (True, TypeError, r"number > 0, got True"),
    (1e-45, ValueError, r"below the float32 range.*GreedySampler"),
]:
    case(f"sample-temperature-{bad!r}", "nade",
         lambda m, bad=bad: m.sample(2, seed=0, temperature=bad), exc, pattern)
case("sample-temperature-with-sampler-instance", "nade",
     lambda m: m.sample(2, temperature=-3.0, sampler=ka.GreedySampler()),
     ValueError, r"finite number > 0, got -3\.0")
case("sampler-temperature-0", None, lambda m: ka.RandomSampler(0.0), ValueError, r"> 0, got 0\.0")
case("sample-num_samples-0", "nade", lambda m: m.sample(0), ValueError,
     r"`num_samples` must be an integer >= 1, got 0")
case("sample-num_samples-fraction", "nade", lambda m: m.sample(2.5), ValueError,
     r"`num_samples` must be an integer >= 1, got 2\.5")
case("sample-noise-shape", "nade", lambda m: m.sample(noise=np.zeros((2, 4, 1))), ValueError,
     r"`noise` must have shape \(num_samples, 5, 1\), got \(2, 4, 1\)")
case("sample-noise-one", "nade", lambda m: m.sample(noise=np.ones((2, 5, 1))), ValueError,
     r"uniforms in \[0, 1\).*range \[1\.0, 1\.0\]")
case("sample-noise-nan", "nade", lambda m: m.sample(noise=np.full((2, 5, 1), T)), ValueError,
     r"uniforms in \[0, 1\) \(no NaN\)")
case("sample-noise-batch-mismatch", "nade", lambda m: m.sample(3, noise=np.zeros((2, 5, 1))),
     ValueError, r"num_samples=3 but `noise` holds 2 samples")
case("sample-given-non-binary", "nade",
     lambda m: m.sample(1, given=np.array([[0.5, 1, T, T, T]])),
     ValueError, r"Invalid `given` values: .*1 of 5 value\(s\) are not 0 or 1.*Binarize")
case("sample-given-category-out-of-range", "categorical_nade",
     lambda m: m.sample(1, given=np.array([[5, T, T, T, T]])),
     ValueError, r"Invalid `given` values: 1 value\(s\) are outside \[0, 3\)")
case("sample-given-category-fraction", "categorical_nade",
     lambda m: m.sample(1, given=np.array([[1.5, T, T, T, T]])),
     ValueError, r"Invalid `given` values: .*silently truncate")
case("sample-given-shape", "nade", lambda m: m.sample(2, given=np.zeros((2, 4))),
     ValueError, r"`given` must have shape \(2, 5\).*got \(2, 4\)")
case("sample-given-observed-nan", "rnade",
     lambda m: m.sample(1, given=np.full((1, 5), T), observed=np.ones((1, 5), bool)),
     ValueError, r"Invalid `given` values: .*NaN")
case("sample-given-strings", "nade", lambda m: m.sample(1, given=np.array([["a"] * 5])),
     TypeError, r"`given` must be a numeric array")
case("sample-given-token-too-large", "char_rnn",
     lambda m: m.sample(1, length=3, given=np.array([[7, T, T]])),
     ValueError, r"Invalid `given` values: .*vocab_size=4")
case("sample-given-negative-token", "char_rnn",
     lambda m: m.sample(1, length=3, given=np.array([[1, -1, T]])),
     ValueError, r"Invalid `given` values")
case("sample-observed-without-given", "nade", lambda m: m.sample(1, observed=np.ones((1, 5), bool)),
     ValueError, r"`observed` needs `given`")
case("sample-observed-shape", "nade",
     lambda m: m.sample(2, given=np.zeros((2, 5)), observed=np.ones((2, 3), bool)),
     ValueError, r"`observed` has shape \(2, 3\); it must match `given` \(2, 5\)")
case("sample-observed-not-bool", "nade",
     lambda m: m.sample(2, given=np.zeros((2, 5)), observed=np.ones((2, 5))),
     TypeError, r"`observed` must be a boolean mask, got dtype float64")
case("sample-length-for-image-model", "nade", lambda m: m.sample(1, length=3),
     ValueError, r"`length` is for sequence models; NADE always samples input_dim=5 values "
                 r"\(pass None or 5\), got 3")
case("char_rnn-sample-no-length", "char_rnn", lambda m: m.sample(1),
     ValueError, r"needs `length`")
case("char_rnn-sample-length-0", "char_rnn", lambda m: m.sample(1, length=0),
     ValueError, r"`length` must be an integer >= 1, got 0")
case("sample-unknown-sampler", "nade", lambda m: m.sample(1, sampler="beam"),
     ValueError, r"Unknown sampler 'beam'; use 'random', 'greedy'")
case("sample-sampler-class", "nade", lambda m: m.sample(1, sampler=ka.GreedySampler),
     TypeError, r"instance, e\.g\. GreedySampler\(\)")
case("topk-k-larger-than-K", "categorical_nade", lambda m: m.sample(1, sampler=ka.TopKSampler(4)),
     ValueError, r"TopKSampler\(k=4\) is larger than the number of categories 3 of "
                 r"CategoricalNADE; use 1 <= k <= 3")
case("topk-k-larger-than-vocab", "char_rnn",
     lambda m: m.sample(1, length=2, sampler=ka.TopKSampler(5)),
     ValueError, r"larger than the number of categories 4")
case("topk-on-bernoulli", "nade", lambda m: m.sample(1, sampler=ka.TopKSampler(1)),
     ValueError, r"needs a categorical head.*bernoulli")
case("topk-k-0", None, lambda m: ka.TopKSampler(0), ValueError, r"`k` must be an integer >= 1, got 0")
case("topk-k-fraction", None, lambda m: ka.TopKSampler(1.5), ValueError, r"`k`.*got 1\.5")

# ---- step (shapes/dtype always; values when concrete)


def step_with(name, x_prev, state=None):
    def run(m):
        m.step(m.initial_state(2) if state is None else state, x_prev)

    return run


case("step-x_prev-rank2", "nade", step_with("nade", np.zeros((2, 1), "float32")),
     ValueError, r"`x_prev` must have shape \(batch,\), got \(2, 1\)")
case("step-x_prev-batch", "nade", step_with("nade", np.zeros((3,), "float32")),
     ValueError, r"`x_prev` has batch size 3 but the state has batch size 2")
case("step-x_prev-float-for-categorical", "categorical_nade",
     step_with("categorical_nade", np.array([0.0, 1.0], "float32")),
     TypeError, r"integer ids \(int32\) for CategoricalNADE, got dtype float32.*truncated")
case("step-x_prev-category-out-of-range", "categorical_nade",
     step_with("categorical_nade", np.array([0, 3], "int32")),
     ValueError, r"`x_prev` must hold ids in \[0, 3\), got range \[0, 3\]")
case("step-x_prev-non-binary", "nade", step_with("nade", np.array([0.0, 0.5], "float32")),
     ValueError, r"`x_prev` must be 0 or 1")
case("step-x_prev-float-tensor-for-categorical", "categorical_nade",
     step_with("categorical_nade", keras.ops.convert_to_tensor(np.array([1.0, 0.0], "float32"))),
     TypeError, r"integer ids \(int32\) for CategoricalNADE, got dtype float32")
case("step-x_prev-list-non-binary", "fvsbn", step_with("fvsbn", [2.0, 0.0]),
     ValueError, r"`x_prev` must be 0 or 1")
case("step-x_prev-nan-rnade", "rnade", step_with("rnade", np.array([T, 0.0], "float32")),
     ValueError, r"NaN or infinite")
case("step-x_prev-token-too-large", "char_rnn", step_with("char_rnn", np.array([4, 0], "int32")),
     ValueError, r"ids in \[0, 4\)")
case("step-x_prev-float-token", "char_rnn", step_with("char_rnn", np.array([1.0, 0.0])),
     TypeError, r"integer ids \(int32\) for CharRNN")
case("step-state-not-dict", "made", step_with("made", np.zeros((2,), "float32"), state=[1, 2]),
     TypeError, r"`state` must be the dict returned by initial_state\(\), got list")
case("step-state-missing-key", "made",
     step_with("made", np.zeros((2,), "float32"), state={"inputs": np.zeros((2, 5), "float32")}),
     ValueError, r"`state` lacks \['position', 'mask_index'\]")

# ---- hyper-parameters
for ctor_id, ctor, exc, pattern in [
    ("nade-hidden-0", lambda: ka.NADE(5, hidden_units=0), ValueError, r"`hidden_units` must be an integer >= 1, got 0"),
    ("nade-hidden-negative", lambda: ka.NADE(5, hidden_units=-3), ValueError, r"`hidden_units`.*got -3"),
    ("nade-hidden-fraction", lambda: ka.NADE(5, hidden_units=2.5), ValueError, r"`hidden_units`.*got 2\.5"),
    ("nade-hidden-string", lambda: ka.NADE(5, hidden_units="10"), TypeError, r"`hidden_units`.*type str"),
    ("nade-hidden-nan", lambda: ka.NADE(5, hidden_units=float("nan")), ValueError, r"`hidden_units`.*got nan"),
    ("nade-input_dim-0", lambda: ka.NADE(0), ValueError, r"`input_dim` must be an integer >= 1, got 0"),
    ("nade-input_dim-none", lambda: ka.NADE(None), TypeError, r"`input_dim`.*got None"),
    ("fvsbn-input_dim-bool", lambda: ka.FVSBN(True), TypeError, r"`input_dim`.*got True"),
    ("nade-activation", lambda: ka.NADE(5, activation="nope"), ValueError, r"nope"),
    ("categorical-K-1", lambda: ka.CategoricalNADE(5, num_categories=1), ValueError, r"`num_categories` must be an integer >= 2, got 1"),
    ("categorical-K-0", lambda: ka.CategoricalNADE(5, num_categories=0), ValueError, r"`num_categories`.*>= 2"),
    ("rnade-components-0", lambda: ka.RNADE(5, num_components=0), ValueError, r"`num_components` must be an integer >= 1"),
    ("rnade-min_scale-0", lambda: ka.RNADE(5, min_scale=0.0), ValueError, r"`min_scale` must be a finite number > 0, got 0\.0"),
    ("rnade-min_scale-nan", lambda: ka.RNADE(5, min_scale=float("nan")), ValueError, r"`min_scale`.*got nan"),
    ("rnade-min_scale-string", lambda: ka.RNADE(5, min_scale="small"), TypeError, r"`min_scale`"),
    ("made-hidden-0", lambda: ka.MADE(5, hidden_units=(8, 0)), ValueError, r"`hidden_units`.*got 0"),
    ("made-masks-0", lambda: ka.MADE(5, num_masks=0), ValueError, r"`num_masks` must be an integer >= 1"),
    ("made-hidden_degrees", lambda: ka.MADE(5, hidden_degrees="sorted"), ValueError, r"'random' or 'equal', got 'sorted'"),
    ("char_rnn-units-0", lambda: ka.CharRNN(4, units=0), ValueError, r"`units` must be an integer >= 1"),
    ("char_rnn-vocab-1", lambda: ka.CharRNN(1), ValueError, r"`vocab_size` must be an integer >= 2, got 1"),
    ("char_rnn-layers-0", lambda: ka.CharRNN(4, num_layers=0), ValueError, r"`num_layers`"),
    ("char_rnn-cell", lambda: ka.CharRNN(4, cell="lstm"), ValueError, r"'gru' or 'simple_rnn', got 'lstm'"),
    ("char_rnn-dropout-1", lambda: ka.CharRNN(4, dropout=1.0), ValueError, r"dropout must be in \[0, 1\)"),
    ("char_rnn-dropout-nan", lambda: ka.CharRNN(4, dropout=float("nan")), ValueError, r"dropout must be in \[0, 1\)"),
    ("char_rnn-embedding-0", lambda: ka.CharRNN(4, embedding_dim=0), ValueError, r"`embedding_dim` must be an integer >= 1, got 0"),
    ("char_rnn-vocabulary-type", lambda: ka.CharRNN(vocabulary="abc"), TypeError, r"keras_ar\.Vocabulary, got str.*from_text"),
    ("char_rnn-vocab-mismatch", lambda: ka.CharRNN(9, vocabulary=ka.Vocabulary.from_text("ab")), ValueError, r"vocab_size=9 but the vocabulary has 3 tokens"),
    ("char_rnn-no-vocab", lambda: ka.CharRNN(), ValueError, r"Give `vocab_size` or a `vocabulary`"),
    ("ordering-duplicate", lambda: ka.NADE(5, ordering=[0, 0, 1, 2, 3]), ValueError, r"permutation of range\(5\) \(each index once\)"),
    ("ordering-length", lambda: ka.FVSBN(5, ordering=[0, 1, 2]), ValueError, r"permutation of range\(5\); got an array of shape \(3,\)"),
    ("ordering-out-of-range", lambda: ka.MADE(5, ordering=[1, 2, 3, 4, 5]), ValueError, r"permutation of range\(5\)"),
    ("ordering-floats", lambda: ka.NADE(3, ordering=[0.0, 1.0, 2.0]), ValueError, r"permutation of range\(3\)"),
    ("ordering-fractional", lambda: ka.NADE(3, ordering=[0.5, 1, 2]), ValueError, r"permutation of range\(3\)"),
    ("ordering-strings", lambda: ka.NADE(3, ordering=["a", "b", "c"]), ValueError, r"permutation of range\(3\)"),
    ("ordering-scalar", lambda: ka.RNADE(3, ordering=2), ValueError, r"permutation of range\(3\)"),
    ("ordering-for-char_rnn", lambda: ka.CharRNN(4, ordering=[0, 1]), ValueError, r"`ordering` is only for image models"),
    ("image_shape-mismatch", lambda: ka.NADE(5, image_shape=(2, 3)), ValueError, r"image_shape \(2, 3\) has 6 pixels, but input_dim is 5"),
    ("image_shape-negative", lambda: ka.NADE(6, image_shape=(-2, -3)), ValueError, r"`image_shape` must be an integer >= 1, got -2"),
]:
    case(f"hyper-{ctor_id}", None, lambda m, ctor=ctor: ctor(), exc, pattern)

# ---- vocabulary and CharRNN.generate
VOCAB = ka.Vocabulary.from_text("abc ")
for v_id, fn, exc, pattern in [
    ("oov-policy", lambda: ka.Vocabulary(["a"], oov="ignore"), ValueError, r"oov must be 'error' or 'unknown', got 'ignore'"),
    ("encode-oov", lambda: VOCAB.encode("ab#c$$"), ValueError, r"3 character\(s\) not in the vocabulary: \['#', '\$'\] \(first at position 2\).*oov='unknown'"),
    ("encode-non-str", lambda: VOCAB.encode([1, 2]), TypeError, r"encode needs a string, got list"),
    ("encode_batch-one-string", lambda: VOCAB.encode_batch("abc"), TypeError, r"got one string.*encode_batch\(\[text\]\)"),
    ("encode_batch-empty", lambda: VOCAB.encode_batch([]), ValueError, r"no texts"),
    ("encode_batch-pad-id", lambda: VOCAB.encode_batch(["a"], pad_id=0), ValueError, r"pad_id must be a negative integer, got 0"),
    ("encode_batch-oov", lambda: VOCAB.encode_batch(["ab", "az"]), ValueError, r"\['z'\]"),
    ("tokens-multichar", lambda: ka.Vocabulary(["ab", "c"]), ValueError, r"single characters; got \['ab'\]"),
    ("tokens-duplicate", lambda: ka.Vocabulary(["a", "b", "a"]), ValueError, r"unique; repeated: \['a'\]"),
    ("tokens-string", lambda: ka.Vocabulary("abc"), TypeError, r"list of single characters.*from_text"),
    ("tokens-empty", lambda: ka.Vocabulary([]), ValueError, r"at least one character"),
    ("from_text-empty", lambda: ka.Vocabulary.from_text(""), ValueError, r"empty text"),
    ("from_text-non-str-items", lambda: ka.Vocabulary.from_text([1, 2]), TypeError, r"needs strings, got int"),
    ("decode-id-out-of-range", lambda: VOCAB.decode([1, 9]), ValueError, r"Token id 9 is not in this vocabulary \(ids 0\.\.4\)"),
]:
    case(f"vocabulary-{v_id}", None, lambda m, fn=fn: fn(), exc, pattern)
case("generate-prompt-oov", "char_rnn_vocab", lambda m: m.generate("ab#", max_length=10),
     ValueError, r"1 character\(s\) not in the vocabulary: \['#'\]")
case("generate-prompt-too-long", "char_rnn_vocab", lambda m: m.generate("abcab", max_length=4),
     ValueError, r"prompt has 5 characters, more than allowed: max_length=4.*max_length > 5")
case("generate-prompt-equal-max", "char_rnn_vocab", lambda m: m.generate("abca", max_length=4),
     ValueError, r"prompt has 4 characters")
case("generate-prompt-not-str", "char_rnn_vocab", lambda m: m.generate(["a"], max_length=4),
     TypeError, r"`prompt` must be a string, got list")
case("generate-max_length-0", "char_rnn_vocab", lambda m: m.generate("", max_length=0),
     ValueError, r"`max_length` must be an integer >= 1, got 0")
case("generate-temperature-0", "char_rnn_vocab", lambda m: m.generate("a", max_length=4, temperature=0),
     ValueError, r"finite number > 0")
case("generate-without-vocabulary", "char_rnn", lambda m: m.generate("a"),
     ValueError, r"needs a model built with `vocabulary=`")


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("name, fn, exc, pattern", CASES)
def test_bad_input_is_rejected_with_a_clear_message(name, fn, exc, pattern):
    assert_rejected_before_computing(name, fn, exc, pattern)


def test_vocabulary_oov_policies():
    strict = ka.Vocabulary.from_text("abc")
    with pytest.raises(ValueError, match=r"\['z'\]"):
        strict.encode("az")
    lenient = ka.Vocabulary.from_text("abc", oov="unknown")
    ids = lenient.encode("az")
    assert ids.tolist() == [lenient.encode("a")[0], lenient.unknown_id]
    assert lenient.decode(ids) == "a<unk>"


def test_generate_empty_prompt_starts_from_boundary_and_unknown_prompt_maps_to_unk():
    m = model("char_rnn_vocab")
    texts = m.generate("", max_length=6, num_samples=3, seed=0)
    assert len(texts) == 3 and all(isinstance(t, str) and len(t) <= 6 for t in texts)
    assert all(set(t) <= set("abc ") for t in texts)
    # same noise, same text: an empty prompt is the plain sample from the boundary token
    ids = keras.ops.convert_to_numpy(m.sample(3, seed=0, length=6))
    assert texts == [m.vocabulary.decode(row) for row in ids]
    lenient = ka.CharRNN(vocabulary=ka.Vocabulary.from_text("ab", oov="unknown"), units=4, num_layers=1)
    assert lenient.generate("a#", max_length=5, seed=0)[0].startswith("a#")


HOOK_CALLS = []


class HookRecordingNADE(ka.NADE):
    """A subclass whose hooks do no checking of their own and record every call."""

    def compute_initial_state(self, batch_size, noise):
        HOOK_CALLS.append("initial_state")
        return super().compute_initial_state(batch_size, noise)

    def compute_step(self, state, x_prev):
        HOOK_CALLS.append("step")
        return super().compute_step(state, x_prev)


def test_the_contract_checks_run_before_any_subclass_hook():
    model = HookRecordingNADE(4, hidden_units=3)  # not built: initial_state builds it
    state = model.initial_state(2)
    assert model.built and HOOK_CALLS == ["initial_state"]
    bad_calls = [
        (lambda: model.step({"position": state["position"]}, np.zeros(2, "float32")), ValueError),
        (lambda: model.step(state, np.zeros(3, "float32")), ValueError),
        (lambda: model.step(state, np.full(2, 0.5, "float32")), ValueError),
        (lambda: model.step([state], np.zeros(2, "float32")), TypeError),
        (lambda: model.initial_state(0), ValueError),
    ]
    for call, error in bad_calls:
        with pytest.raises(error):
            call()
    assert HOOK_CALLS == ["initial_state"]  # no hook ran on bad input
    model.step(state, np.zeros(2, "float32"))
    assert HOOK_CALLS == ["initial_state", "step"]
