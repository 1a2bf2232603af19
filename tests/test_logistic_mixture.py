"""The discretized mixture-of-logistics head and LogisticMixtureNADE: exact, normalized,
sampled by the exact inverse CDF."""

import itertools

import keras
import numpy as np
import pytest
from scipy import stats

import keras_ar as ka
from keras_ar.distributions import DiscretizedLogisticMixture
from keras_ar.host_heads import discretized_logistic_log_probs, discretized_logistic_pmf

from model_zoo import make, randomize, step_log_prob

K = 256


def to_np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def random_params(rng, batch, components, mean_range=(-40.0, 300.0), log_scale_range=(-8.0, 8.0)):
    return {
        "mixture_logits": rng.normal(0.0, 3.0, (batch, components)).astype("float32"),
        "means": rng.uniform(*mean_range, (batch, components)).astype("float32"),
        "log_scales": rng.uniform(*log_scale_range, (batch, components)).astype("float32"),
    }


def all_log_probs(head, params):
    """(batch, K) log P(x = k) for every k, in one call on (batch, K) values."""
    batch = params["means"].shape[0]
    tiled = {name: np.repeat(value[:, None, :], K, axis=1) for name, value in params.items()}
    values = np.broadcast_to(np.arange(K, dtype="int32"), (batch, K))
    return to_np(head.log_prob(tiled, values)).astype("float64")


@pytest.mark.parametrize(
    "case",
    ["random", "edges", "tiny_scales", "huge_scales", "far_outside", "extreme_logits"],
)
def test_every_conditional_sums_to_one_over_all_256_values(case):
    rng = np.random.default_rng(0)
    head = DiscretizedLogisticMixture(4, K)
    params = random_params(rng, 64, 4)
    if case == "edges":  # components sitting on the 0 and 255 bins and their borders
        params["means"] = rng.choice([-0.5, 0.0, 0.5, 254.5, 255.0, 255.5], (64, 4)).astype("float32")
    if case == "tiny_scales":  # below the floor exp(-7): every component is one bin
        params["log_scales"] = rng.uniform(-30.0, -6.0, (64, 4)).astype("float32")
        params["means"] = rng.uniform(-3.0, 258.0, (64, 4)).astype("float32")
    if case == "huge_scales":
        params["log_scales"] = rng.uniform(6.0, 30.0, (64, 4)).astype("float32")
    if case == "far_outside":
        params["means"] = rng.choice([-1e6, -1e30, 1e6, 1e30], (64, 4)).astype("float32")
    if case == "extreme_logits":
        params["mixture_logits"] = rng.choice([-1e30, 0.0, 1e30, 50.0], (64, 4)).astype("float32")
    log_probs = all_log_probs(head, params)
    assert np.all(np.isfinite(log_probs))
    np.testing.assert_allclose(np.exp(log_probs).sum(axis=1), 1.0, atol=1e-5)


def test_log_prob_equals_the_float64_difference_of_sigmoids():
    """Where the naive formula is accurate (moderate scales), it agrees with the stable one."""
    rng = np.random.default_rng(1)
    params = random_params(rng, 32, 3, log_scale_range=(-1.0, 4.0))
    log_probs = all_log_probs(DiscretizedLogisticMixture(3, K), params)

    def sigmoid(t):
        return 1.0 / (1.0 + np.exp(-t))

    means = params["means"].astype("float64")[:, None, :]
    scales = np.exp(params["log_scales"].astype("float64"))[:, None, :]
    k = np.arange(K, dtype="float64")[None, :, None]
    upper = np.where(k >= K - 1, 1.0, sigmoid((k + 0.5 - means) / scales))
    lower = np.where(k <= 0, 0.0, sigmoid((k - 0.5 - means) / scales))
    weights = stats_softmax(params["mixture_logits"].astype("float64"))[:, None, :]
    naive = np.log(np.sum(weights * (upper - lower), axis=-1))
    mask = naive > -20.0  # the naive difference loses digits in far tails
    np.testing.assert_allclose(log_probs[mask], naive[mask], atol=2e-4)
    # and the float64 host formula (runtimes, codec) agrees with the Keras head
    host = np.log(discretized_logistic_pmf(weights[:, 0], means[:, 0], scales[:, 0], K))
    np.testing.assert_allclose(log_probs, host, atol=1e-3, rtol=1e-5)
    x = np.arange(32) % K
    np.testing.assert_allclose(
        discretized_logistic_log_probs(weights[:, 0], means[:, 0], scales[:, 0], x, K),
        host[np.arange(32), x], atol=1e-12,
    )


def stats_softmax(logits):
    shifted = np.exp(logits - logits.max(-1, keepdims=True))
    return shifted / shifted.sum(-1, keepdims=True)


def test_host_pmf_sums_to_one():
    rng = np.random.default_rng(2)
    weights = rng.dirichlet(np.ones(5), size=(3, 4))
    pmf = discretized_logistic_pmf(
        weights, rng.uniform(-50, 300, (3, 4, 5)), np.exp(rng.uniform(-9, 9, (3, 4, 5))), K
    )
    assert pmf.shape == (3, 4, K)
    np.testing.assert_allclose(pmf.sum(-1), 1.0, atol=1e-12)


def test_sample_is_the_discrete_inverse_cdf_of_the_chosen_component():
    """x = #{k < K-1 : F(k + 1/2) <= u1}, computed in float64, for the component at u0."""
    rng = np.random.default_rng(3)
    batch = 4000
    head = DiscretizedLogisticMixture(3, K)
    params = random_params(rng, batch, 3, log_scale_range=(-3.0, 5.0))
    noise = rng.random((batch, 2)).astype("float32")
    noise[:8, 1] = [0.0, 1e-30, 1e-7, 0.5, 0.999, 1.0 - 2**-24, 0.25, 0.75]  # ends of [0, 1)
    samples = to_np(head.sample(params, noise))
    weights = stats_softmax(params["mixture_logits"].astype("float64"))
    component = np.minimum((np.cumsum(weights, -1) <= noise[:, :1]).sum(-1), 2)
    rows = np.arange(batch)
    mean = params["means"][rows, component].astype("float64")
    scale = np.exp(params["log_scales"][rows, component].astype("float64"))
    cdf = 1.0 / (1.0 + np.exp(-(np.arange(K - 1)[None, :] + 0.5 - mean[:, None]) / scale[:, None]))
    expected = (cdf <= noise[:, 1:2].astype("float64")).sum(-1)
    # float32 rounding may move a draw across a bin border only when u1 is within 1e-5 of it
    near = np.abs(cdf - noise[:, 1:2]).min(-1) < 1e-5
    assert np.all((samples == expected) | near)
    assert np.mean(near) < 0.01
    assert samples.min() >= 0 and samples.max() <= K - 1


def test_temperature_scales_the_logistic_noise_only():
    head = DiscretizedLogisticMixture(2, K)
    params = {
        "mixture_logits": np.array([[0.0, 0.0]], "float32"),
        "means": np.array([[100.3, 200.0]], "float32"),
        "log_scales": np.array([[2.0, 2.0]], "float32"),
    }
    noise = np.array([[0.2, 0.9]], "float32")
    assert int(to_np(head.sample(params, noise, temperature=1e-6))[0]) == 100
    cold = int(to_np(head.sample(params, noise, temperature=0.5))[0])
    warm = int(to_np(head.sample(params, noise, temperature=1.0))[0])
    assert 100 < cold < warm


def test_model_sums_to_one_over_all_inputs():
    model = randomize(
        ka.LogisticMixtureNADE(3, num_categories=5, hidden_units=4, num_components=2, ordering=[2, 0, 1]),
        seed=4,
    )
    inputs = np.array(list(itertools.product(range(5), repeat=3)), "int32")
    total = np.exp(to_np(model.log_prob(inputs)).astype("float64")).sum()
    assert abs(total - 1.0) < 1e-5


def test_model_at_256_levels_sums_to_one_over_all_pairs():
    model = make("logistic_mixture_nade", input_dim=2, seed=5)
    inputs = np.array(list(itertools.product(range(K), repeat=2)), "int32")
    total = np.exp(to_np(model.log_prob(inputs, batch_size=8192)).astype("float64")).sum()
    assert abs(total - 1.0) < 1e-5


def test_model_samples_match_exact_probabilities_chi_square():
    model = randomize(
        ka.LogisticMixtureNADE(2, num_categories=6, hidden_units=5, num_components=2), seed=6
    )
    outcomes = np.array(list(itertools.product(range(6), repeat=2)), "int32")
    probs = np.exp(to_np(model.log_prob(outcomes)).astype("float64"))
    samples = to_np(model.sample(20000, seed=7))
    counts = np.zeros(len(outcomes))
    np.add.at(counts, samples[:, 0] * 6 + samples[:, 1], 1)
    keep = probs * 20000 >= 5  # chi-square needs expected counts >= 5
    expected = probs[keep] / probs[keep].sum() * counts[keep].sum()
    assert stats.chisquare(counts[keep], expected).pvalue > 1e-4
    assert counts[~keep].sum() <= max(20, 3 * probs[~keep].sum() * 20000)


def test_step_loop_matches_log_prob_at_256_levels():
    model = make("logistic_mixture_nade", input_dim=6, ordering=[5, 3, 1, 0, 2, 4], seed=8)
    x = np.random.default_rng(9).integers(0, K, (4, 6)).astype("int32")
    np.testing.assert_allclose(step_log_prob(model, x), to_np(model.log_prob(x)), atol=1e-3, rtol=1e-5)


def test_bad_grey_levels_are_rejected():
    model = make("logistic_mixture_nade", input_dim=3)
    with pytest.raises(ValueError, match="outside"):
        model.log_prob(np.array([[0, 256, 3]], "int32"))
    with pytest.raises(TypeError, match="integer"):
        model.step(model.initial_state(1), np.array([0.5], "float32"))
