"""Order-agnostic training: DeepNADE's estimator and orderings, MADE's agnostic masks."""

import itertools
import math

import keras
import numpy as np
import pytest

import keras_ar as ka

from model_zoo import make, randomize


def to_numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x), "float64")


def all_inputs(n):
    return np.array(list(itertools.product([0, 1], repeat=n)), "float32")


def test_training_estimator_is_unbiased_for_the_mean_over_all_orderings():
    """E_{d, S}[(n / (n - d)) sum_{i not in S} log p(x_i | x_S)] = mean_o log p_o(x),
    with |S| = d ~ U{0..n-1} and S uniform given d: enumerated, not sampled."""
    n = 4
    model = make("deep_nade", input_dim=n, seed=1)
    x = all_inputs(n)
    expectation = np.zeros(len(x))
    for d in range(n):
        subsets = list(itertools.combinations(range(n), d))
        for subset in subsets:
            known = np.zeros((len(x), n), "float32")
            known[:, list(subset)] = 1.0
            estimate = to_numpy(model.order_agnostic_log_prob(x, known=known))
            expectation += estimate / (n * len(subsets))
    mean_over_orderings = np.mean(
        [to_numpy(model.ordering_log_prob(x, o)) for o in itertools.permutations(range(n))], axis=0
    )
    np.testing.assert_allclose(expectation, mean_over_orderings, atol=1e-4)
    # the sampled training loss is that estimator (its mean converges to it)
    draws = np.mean([to_numpy(model(x, training=True)) for _ in range(300)], axis=0)
    assert np.max(np.abs(draws - mean_over_orderings)) < 0.15 * np.max(np.abs(mean_over_orderings))


def test_training_masks_follow_the_law_of_a_random_ordering_prefix():
    """S = o_<d for a uniform ordering o and d ~ U{0..n-1}: P(S) = 1 / (n C(n, |S|)),
    |S| < n. Chi-square of 40,000 drawn masks over all 2^n subsets (n = 4)."""
    from scipy import stats

    n, draws = 4, 40_000
    model = ka.DeepNADE(n, hidden_units=(3,), seed=5)
    masks = to_numpy(model.draw_observed(draws)).astype(int)
    assert set(np.unique(masks)) <= {0, 1}
    codes = masks @ (2 ** np.arange(n))
    observed = np.bincount(codes, minlength=2**n)
    sizes = np.array([bin(c).count("1") for c in range(2**n)])
    law = np.where(sizes < n, 1.0 / (n * np.array([math.comb(n, k) for k in sizes])), 0.0)
    assert observed[2**n - 1] == 0  # at least one dimension is always scored
    keep = law > 0
    _, p_value = stats.chisquare(observed[keep], draws * law[keep])
    assert p_value > 1e-3, (observed, draws * law)
    # an int seed reproduces the draw; keys, threshold and held-out dim are not tied
    again = to_numpy(model.draw_observed(draws, seed=11))
    np.testing.assert_array_equal(again, to_numpy(model.draw_observed(draws, seed=11)))
    codes = again.astype(int) @ (2 ** np.arange(n))
    _, p_value = stats.chisquare(np.bincount(codes, minlength=2**n)[keep], draws * law[keep])
    assert p_value > 1e-3


@pytest.mark.parametrize("hidden_units", [(6,), (6, 5, 4)])
def test_every_ordering_and_every_ensemble_is_normalized(hidden_units):
    model = randomize(ka.DeepNADE(6, hidden_units=hidden_units, block_size=4))
    x = all_inputs(6)
    orderings = model.random_orderings(5, seed=3)
    assert np.array_equal(orderings[0], model.ordering)
    per_ordering = np.stack([to_numpy(model.ordering_log_prob(x, o)) for o in orderings], -1)
    np.testing.assert_allclose(np.exp(per_ordering).sum(axis=0), 1.0, atol=1e-5)
    assert np.ptp(per_ordering, axis=1).max() > 1e-2  # different orderings, different models
    np.testing.assert_allclose(
        to_numpy(model.log_prob(x, batch_size=7, ordering=orderings[2])), per_ordering[:, 2], atol=1e-5
    )
    with pytest.raises(ValueError, match="permutation"):
        model.log_prob(x, ordering=[0, 0, 1, 2, 3, 4])
    ensemble = to_numpy(model.ensemble_log_prob(x, orderings))
    np.testing.assert_allclose(ensemble, np.log(np.exp(per_ordering).mean(axis=1)), atol=1e-5)
    assert abs(np.exp(ensemble).sum() - 1.0) < 1e-5


def test_ensemble_log_prob_checks_batches_and_reports_progress(capsys):
    model = randomize(ka.DeepNADE(5, hidden_units=(6, 4), block_size=2))
    x = all_inputs(5)
    orderings = model.random_orderings(3, seed=8)
    per_ordering = np.stack([to_numpy(model.ordering_log_prob(x, o)) for o in orderings], -1)
    expected = np.log(np.exp(per_ordering).mean(axis=1))
    chunked = to_numpy(model.ensemble_log_prob(x, orderings, batch_size=7, verbose=1))
    np.testing.assert_allclose(chunked, expected, atol=1e-5)
    assert "3/3" in capsys.readouterr().out  # the progress bar over the orderings
    bad_x = x[:2].copy()
    bad_x[1, 3] = np.nan
    for inputs, orders, message in [
        (bad_x, orderings, "NaN"),  # never a silent NaN
        (x[:, :4], orderings, "Expected 5 features"),
        (x, [], "non-empty sequence of permutations"),
        (x, 3, "non-empty sequence of permutations"),
        (x, [orderings[0], [0, 1, 2, 3, 3]], "permutation of range\\(5\\)"),
    ]:
        with pytest.raises(ValueError, match=message):
            model.ensemble_log_prob(inputs, orders)
    with pytest.raises(ValueError, match="batch_size"):
        model.ensemble_log_prob(x, orderings, batch_size=0)


def test_block_size_does_not_change_log_prob():
    reference = make("deep_nade", input_dim=7, seed=4)
    blocked = ka.DeepNADE.from_config({**reference.get_config(), "block_size": 3})
    blocked.ensure_built()
    blocked.set_weights(reference.get_weights())
    x = all_inputs(7)
    np.testing.assert_allclose(to_numpy(blocked.log_prob(x)), to_numpy(reference.log_prob(x)), atol=1e-5)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="a tf.function over orderings")
def test_an_ordering_tensor_gives_each_orderings_log_prob_from_one_compilation():
    import tensorflow as tf

    model = ka.DeepNADE.from_config({**make("deep_nade", input_dim=7, seed=4).get_config(), "block_size": 3})
    model.ensure_built()
    randomize(model, seed=5)
    x = all_inputs(7)
    fn = tf.function(lambda v, o: model.ordering_log_prob(v, o), jit_compile=True)
    orderings = model.random_orderings(3, seed=2)
    for ordering in orderings:
        np.testing.assert_allclose(to_numpy(fn(x, tf.constant(ordering))),
                                   to_numpy(model.log_prob(x, ordering=ordering)), atol=1e-5)
    assert fn.experimental_get_tracing_count() == 1
    # and the orderings differ: a tensor that ignored its value would not pass both
    assert np.abs(to_numpy(model.log_prob(x, ordering=orderings[1]))
                  - to_numpy(model.log_prob(x, ordering=orderings[2]))).max() > 1e-3


def test_fit_lowers_the_order_agnostic_loss():
    rng = np.random.default_rng(0)
    prototypes = rng.random((2, 16)) < 0.5
    x = prototypes[rng.integers(0, 2, 512)] ^ (rng.random((512, 16)) < 0.05)
    x = x.astype("float32")
    model = ka.DeepNADE(16, hidden_units=(32, 32))
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    before = -to_numpy(model.log_prob(x)).mean()
    model.fit(x, epochs=15, batch_size=64, verbose=0)
    after = -to_numpy(model.log_prob(x)).mean()
    assert after < before - 0.3 * 16 * math.log(2.0)


def agnostic_made(order_agnostic=True):
    model = ka.MADE(6, hidden_units=(8, 8), num_masks=3, order_agnostic=order_agnostic, seed=2,
                    direct_connection=True)
    return randomize(model, seed=1)


def connectivity(model, m):
    """(n, n) 0/1: output position j can see input position i (through the MLP or directly)."""
    masks = [layer.kernel_mask(m) for layer in model.hidden_layers + [model.output_layer]]
    reach = np.asarray(keras.ops.convert_to_numpy(masks[0]))
    for mask in masks[1:]:
        reach = reach @ np.asarray(keras.ops.convert_to_numpy(mask))
    direct = np.asarray(keras.ops.convert_to_numpy(model.direct_layer.kernel_mask(m)))
    assert direct.sum() == 6 * 5 / 2  # every earlier input, directly
    return (reach > 0) | (direct > 0)


def test_order_agnostic_made_members_have_their_own_orderings_and_are_autoregressive():
    model = agnostic_made()
    ranks = []
    for m in range(model.num_masks):
        rank = model.mask_degrees(m)[0] - 1  # member m's position of each input
        reach = connectivity(model, m)
        allowed = rank[:, None] < rank[None, :]
        assert not np.any(reach & ~allowed), f"member {m} sees a later input"
        ranks.append(tuple(rank))
    assert ranks[0] == tuple(range(6))  # member 0 keeps the model's ordering
    assert len(set(ranks)) == model.num_masks
    plain = agnostic_made(order_agnostic=False)
    assert {tuple(plain.mask_degrees(m)[0]) for m in range(3)} == {tuple(range(1, 7))}


def test_order_agnostic_made_ensemble_is_normalized_and_saves(tmp_path):
    model = agnostic_made()
    x = all_inputs(6)
    assert abs(np.exp(to_numpy(model.log_prob(x))).sum() - 1.0) < 1e-5
    path = tmp_path / "made.keras"
    model.save(path)
    loaded = ka.load_model(path)
    assert loaded.order_agnostic
    np.testing.assert_allclose(to_numpy(loaded.log_prob(x)), to_numpy(model.log_prob(x)), atol=1e-6)


def test_order_agnostic_made_refuses_stepwise_sampling_with_a_clear_error():
    with pytest.raises(ValueError, match="different orderings"):
        agnostic_made().sample(2, seed=0)
