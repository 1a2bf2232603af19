"""Sample frequencies match exact probabilities (chi-square with fixed seeds)."""

import itertools

import keras
import numpy as np
import pytest
from scipy import stats

import keras_ar as ka

from model_zoo import make

NUM_SAMPLES = 20000


def exact_and_counts(model, samples, outcomes):
    probs = np.exp(keras.ops.convert_to_numpy(model.log_prob(outcomes)).astype("float64"))
    index = {tuple(o): i for i, o in enumerate(outcomes.tolist())}
    counts = np.zeros(len(outcomes))
    for row in np.asarray(samples).tolist():
        counts[index[tuple(row)]] += 1
    return probs, counts


def chi_square_p(probs, counts):
    return stats.chisquare(counts, probs / probs.sum() * counts.sum()).pvalue


@pytest.mark.parametrize("name", ["fvsbn", "nade", "made", "made_ensemble", "deep_nade"])
def test_binary_sample_frequencies_match_probabilities(name):
    model = make(name, input_dim=3, ordering=[2, 0, 1], seed=1)
    outcomes = np.array(list(itertools.product([0, 1], repeat=3)), "float32")
    samples = keras.ops.convert_to_numpy(model.sample(NUM_SAMPLES, seed=7))
    probs, counts = exact_and_counts(model, samples, outcomes)
    assert chi_square_p(probs, counts) > 1e-4


def test_categorical_sample_frequencies_match_probabilities():
    model = make("categorical_nade", input_dim=2, seed=2)
    outcomes = np.array(list(itertools.product(range(3), repeat=2)), "int32")
    samples = keras.ops.convert_to_numpy(model.sample(NUM_SAMPLES, seed=7))
    probs, counts = exact_and_counts(model, samples, outcomes)
    assert chi_square_p(probs, counts) > 1e-4


def test_char_rnn_sample_frequencies_match_probabilities():
    model = ka.CharRNN(vocab_size=3, units=5, num_layers=1)
    from model_zoo import randomize

    randomize(model, seed=3)
    outcomes = np.array(list(itertools.product(range(3), repeat=2)), "int32")
    samples = keras.ops.convert_to_numpy(model.sample(NUM_SAMPLES, seed=7, length=2))
    probs, counts = exact_and_counts(model, samples, outcomes)
    assert chi_square_p(probs, counts) > 1e-4


def test_rnade_samples_follow_the_density_ks_test():
    model = make("rnade", input_dim=1, seed=4)
    grid = np.linspace(-20, 20, 40001, dtype="float32")
    density = np.exp(keras.ops.convert_to_numpy(model.log_prob(grid[:, None])).astype("float64"))
    cdf = np.cumsum(density) * (grid[1] - grid[0])
    samples = keras.ops.convert_to_numpy(model.sample(5000, seed=7))[:, 0]
    assert stats.kstest(samples, lambda v: np.interp(v, grid, cdf)).pvalue > 1e-4


def test_the_test_detects_a_wrong_sampler():
    """Sampling at temperature 2 is a different distribution: the same test rejects it."""
    model = make("nade", input_dim=3, seed=1)
    outcomes = np.array(list(itertools.product([0, 1], repeat=3)), "float32")
    samples = keras.ops.convert_to_numpy(model.sample(NUM_SAMPLES, seed=7, temperature=2.0))
    probs, counts = exact_and_counts(model, samples, outcomes)
    assert chi_square_p(probs, counts) < 1e-3


def test_the_test_detects_a_double_sigmoid_head():
    """pytorch-generative's NADE bug: probabilities passed through a sigmoid again.

    Each step stays normalized (so enumeration cannot see it), but the scored
    distribution is no longer the sampled one, and the chi-square test rejects it.
    """
    model = make("nade", input_dim=3, seed=1)
    samples = keras.ops.convert_to_numpy(model.sample(NUM_SAMPLES, seed=7))

    class DoubleSigmoid(ka.distributions.Bernoulli):
        def log_prob(self, params, x):
            return super().log_prob({"logits": keras.ops.sigmoid(params["logits"])}, x)

    model.distribution = DoubleSigmoid()
    outcomes = np.array(list(itertools.product([0, 1], repeat=3)), "float32")
    probs, counts = exact_and_counts(model, samples, outcomes)
    assert abs(probs.sum() - 1.0) < 1e-5
    assert chi_square_p(probs, counts) < 1e-3


def test_completion_of_an_observed_prefix_is_the_exact_conditional():
    """Observed values first in the ordering (a top half): p(x_1, x_2 | x_0 = 1) exactly."""
    model = make("nade", input_dim=3, seed=5)
    given = np.array([1.0, np.nan, np.nan], "float32")
    samples = keras.ops.convert_to_numpy(model.sample(NUM_SAMPLES, seed=3, given=given))
    assert np.all(samples[:, 0] == 1)
    outcomes = np.array([[1, b, c] for b in (0, 1) for c in (0, 1)], "float32")
    probs, counts = exact_and_counts(model, samples, outcomes)
    assert chi_square_p(probs, counts) > 1e-4


def test_completion_elsewhere_clamps_observed_values_in_the_ancestral_pass():
    """With x_1 observed, x_0 is drawn from p(x_0) and x_2 from p(x_2 | x_0, x_1): the
    documented clamped sampler, which is not the posterior p(x_0 | x_1)."""
    model = make("nade", input_dim=3, seed=5)
    given = np.array([np.nan, 1.0, np.nan], "float32")
    samples = keras.ops.convert_to_numpy(model.sample(NUM_SAMPLES, seed=3, given=given))
    assert np.all(samples[:, 1] == 1)
    outcomes = np.array([[a, 1, c] for a in (0, 1) for c in (0, 1)], "float32")
    joint = np.exp(keras.ops.convert_to_numpy(model.log_prob(outcomes)).astype("float64"))
    marginal_x0 = np.array([
        np.exp(keras.ops.convert_to_numpy(model.log_prob(
            np.array([[a, b, c] for b in (0, 1) for c in (0, 1)], "float32"))).astype("float64")).sum()
        for a in (0, 1)
    ])
    # q(x0, x2) = p(x0) p(x2 | x0, x1=1) = p(x0) p(x0, 1, x2) / sum_x2 p(x0, 1, x2)
    pair_total = np.array([joint[0] + joint[1], joint[0] + joint[1], joint[2] + joint[3], joint[2] + joint[3]])
    clamped = marginal_x0[[0, 0, 1, 1]] * joint / pair_total
    _, counts = exact_and_counts(model, samples, outcomes)
    assert chi_square_p(clamped, counts) > 1e-4


def test_same_seed_same_samples_and_noise_determines_the_sample():
    model = make("nade")
    a = keras.ops.convert_to_numpy(model.sample(5, seed=11))
    b = keras.ops.convert_to_numpy(model.sample(5, seed=11))
    np.testing.assert_array_equal(a, b)
    noise = np.random.default_rng(0).uniform(size=(5, 5, 1)).astype("float32")
    c = keras.ops.convert_to_numpy(model.sample(noise=noise))
    d = keras.ops.convert_to_numpy(model.sample(noise=noise))
    np.testing.assert_array_equal(c, d)


def test_greedy_and_top_k_samplers():
    model = make("char_rnn")
    greedy = keras.ops.convert_to_numpy(model.sample(3, length=6, sampler=ka.GreedySampler()))
    assert np.all(greedy == greedy[0])
    top1 = keras.ops.convert_to_numpy(model.sample(3, length=6, sampler=ka.TopKSampler(1), seed=1))
    np.testing.assert_array_equal(top1, greedy)
    with pytest.raises(ValueError, match="temperature"):
        ka.RandomSampler(temperature=0.0)


def test_generate_continues_a_prompt():
    vocab = ka.Vocabulary.from_text("abc")
    model = ka.CharRNN(vocabulary=vocab, units=4, num_layers=1)
    texts = model.generate(prompt="ab", max_length=10, num_samples=4, seed=0)
    assert all(t.startswith("ab") and len(t) <= 10 for t in texts)
