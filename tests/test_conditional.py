"""p(x_missing | x_observed): exact for order-agnostic models, by enumeration and samples."""

import itertools
import warnings

import keras
import numpy as np
import pytest
from scipy import stats

import keras_ar as ka
from keras_ar.conditional import ClampedConditionalWarning
from keras_ar.samplers import RandomSampler

from model_zoo import make, randomize

ORDERING = [4, 2, 6, 0, 1, 5, 3]


def to_numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x), "float64")


def all_inputs(n):
    return np.array(list(itertools.product([0, 1], repeat=n)), "float32")


def reference_conditional(model, x, observed):
    """log p(x_M | x_O) = joint / marginal under the ordering (O, then M in model order)."""
    order = [d for d in model.ordering if observed[d]] + [d for d in model.ordering if not observed[d]]
    completions = all_inputs(model.input_dim)
    completions = completions[np.all(completions[:, observed] == x[observed], axis=1)]
    joint = to_numpy(model.ordering_log_prob(np.concatenate([x[None], completions]), order))
    return joint[0] - np.logaddexp.reduce(joint[1:])


@pytest.mark.parametrize("ordering", [None, ORDERING])
def test_deep_nade_conditional_is_joint_over_marginal_for_random_masks(ordering):
    model = make("deep_nade", input_dim=7, ordering=ordering, seed=2)
    rng = np.random.default_rng(0)
    x = all_inputs(7)[rng.choice(128, size=24, replace=False)]
    observed = rng.random(x.shape) < 0.5
    observed[0], observed[1] = False, True  # nothing / everything observed
    got = to_numpy(model.conditional_log_prob(x, observed))
    expected = [reference_conditional(model, row, mask) for row, mask in zip(x, observed)]
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert got[1] == 0.0
    np.testing.assert_allclose(got[0], to_numpy(model.log_prob(x[:1]))[0], atol=1e-5)


def test_shared_mask_skips_observed_dims_and_matches_per_row_masks():
    model = make("deep_nade", input_dim=7, ordering=ORDERING, seed=3)
    x = all_inputs(7)
    observed = np.zeros(7, bool)
    observed[[1, 4, 5]] = True
    shared = to_numpy(model.conditional_log_prob(x, observed))  # one row, broadcast
    per_row = to_numpy(model.conditional_log_prob(x, keras.ops.convert_to_tensor(np.tile(observed, (128, 1)))))
    np.testing.assert_allclose(shared, per_row, atol=1e-5)
    # for every observed value, the conditional sums to one over the missing values
    for values in itertools.product([0, 1], repeat=3):
        rows = np.all(x[:, observed] == values, axis=1)
        assert abs(np.exp(shared[rows]).sum() - 1.0) < 1e-5


def test_fixed_order_model_is_exact_on_a_prefix_and_warns_when_clamped():
    model = make("nade", input_dim=5, ordering=[3, 1, 4, 0, 2], seed=1)
    x = all_inputs(5)
    prefix = np.zeros(5, bool)
    prefix[[3, 1]] = True  # the first two dims of the ordering
    with warnings.catch_warnings():
        warnings.simplefilter("error", ClampedConditionalWarning)  # a prefix is exact: no warning
        got = to_numpy(model.conditional_log_prob(x, prefix))
    joint = to_numpy(model.log_prob(x))
    keys = [tuple(r) for r in x[:, prefix]]
    marginal = {k: np.logaddexp.reduce(joint[[kk == k for kk in keys]]) for k in set(keys)}
    np.testing.assert_allclose(got, joint - [marginal[k] for k in keys], atol=1e-5)

    later = np.zeros(5, bool)
    later[[0, 2]] = True  # the last two dims of the ordering
    with pytest.warns(ClampedConditionalWarning, match="clamped approximation") as caught:
        clamped = to_numpy(model.conditional_log_prob(x, later))
    clamped_warnings = [w for w in caught if w.category is ClampedConditionalWarning]
    assert [w.filename for w in clamped_warnings] == [__file__]  # it names the caller's line
    keys = [tuple(r) for r in x[:, later]]
    marginal = {k: np.logaddexp.reduce(joint[[kk == k for kk in keys]]) for k in set(keys)}
    exact = joint - [marginal[k] for k in keys]
    assert np.max(np.abs(clamped - exact)) > 1e-2  # the warning is warranted
    with pytest.warns(ClampedConditionalWarning) as caught:
        model.sample(2, seed=0, given=x[5], observed=later)
    assert [w.filename for w in caught if w.category is ClampedConditionalWarning] == [__file__]


def conditional_counts(model, samples, given, observed):
    missing = np.flatnonzero(~observed)
    outcomes = np.array(list(itertools.product([0, 1], repeat=len(missing))), "float32")
    full = np.tile(given, (len(outcomes), 1))
    full[:, missing] = outcomes
    probs = np.exp(to_numpy(model.conditional_log_prob(full, observed)))
    index = {tuple(o): i for i, o in enumerate(outcomes.tolist())}
    counts = np.zeros(len(outcomes))
    for row in np.asarray(samples)[:, missing].tolist():
        counts[index[tuple(row)]] += 1
    return probs, counts


def test_conditional_samples_follow_the_exact_conditional_chi_square():
    """Evidence late in the ordering: exact samples pass, the clamped pass is rejected."""
    model = randomize(ka.DeepNADE(5, hidden_units=(8,), ordering=[0, 1, 2, 3, 4]), seed=4, scale=2.0)
    given = np.array([0, 0, 0, 1, 1], "float32")
    observed = np.array([False, False, False, True, True])
    num = 6000
    samples = to_numpy(model.sample(num, seed=11, given=given, observed=observed))
    assert np.all(samples[:, observed] == given[observed])
    probs, counts = conditional_counts(model, samples, given, observed)
    assert abs(probs.sum() - 1.0) < 1e-5
    assert stats.chisquare(counts, probs * num).pvalue > 1e-4
    # the fixed-order clamped pass (evidence only where it precedes) on the same model
    noise = np.random.default_rng(5).random((num, 5, 1)).astype("float32")
    clamped = to_numpy(RandomSampler().run(model, noise, given=np.tile(given, (num, 1)),
                                           observed=np.tile(observed, (num, 1))))
    _, clamped_counts = conditional_counts(model, clamped, given, observed)
    assert stats.chisquare(clamped_counts, probs * num).pvalue < 1e-6


def test_same_noise_gives_the_same_completion():
    model = make("deep_nade", input_dim=7, ordering=ORDERING, seed=5)
    noise = np.random.default_rng(1).random((3, 7, 1)).astype("float32")
    given = all_inputs(7)[[3, 50, 99]]
    observed = np.random.default_rng(2).random((3, 7)) < 0.5
    first = to_numpy(model.sample(3, noise=noise, given=given, observed=observed))
    second = to_numpy(model.sample(3, noise=noise, given=given, observed=observed))
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first[observed], given[observed])


def test_conditional_log_prob_rejects_bad_masks():
    model = make("deep_nade", input_dim=5)
    x = all_inputs(5)[:2]
    with pytest.raises(TypeError, match="boolean mask"):
        model.conditional_log_prob(x, np.ones((2, 5), "float32"))
    with pytest.raises(ValueError, match="must have shape"):
        model.conditional_log_prob(x, np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="binary|0 or 1|values"):
        model.conditional_log_prob(x + 2.0, np.ones((2, 5), bool))
    with pytest.raises(ValueError, match="image models"):
        make("char_rnn").conditional_log_prob(np.zeros((1, 3), "int32"), np.ones((1, 3), bool))
