"""Running `step` from `initial_state` reproduces the parallel `log_prob`."""

import keras
import numpy as np
import pytest

from model_zoo import ALL_MODELS, REVERSED, make, random_inputs, step_log_prob


@pytest.mark.parametrize("name", [m for m in ALL_MODELS if m != "made_ensemble"])
@pytest.mark.parametrize("ordering", [None, REVERSED])
def test_step_loop_matches_log_prob(name, ordering):
    if ordering is not None and name.startswith("char_rnn"):
        pytest.skip("sequence models have no ordering")
    model = make(name, ordering=ordering)
    x = random_inputs(model, batch_size=6)
    expected = keras.ops.convert_to_numpy(model.log_prob(x))
    np.testing.assert_allclose(step_log_prob(model, x), expected, atol=1e-5, rtol=1e-5)


def test_made_ensemble_is_the_mean_of_the_masks_and_steps_follow_the_chosen_mask():
    model = make("made_ensemble")
    x = random_inputs(model, batch_size=4)
    per_mask = []
    for m in range(model.num_masks):
        params = model.conditionals(model.to_step_order(x), mask_index=m)
        per_mask.append(keras.ops.convert_to_numpy(
            keras.ops.sum(model.distribution.log_prob(params, x), -1)))
        # initial_state noise picks mask m; the step loop then scores under mask m
        state = model.initial_state(4, noise=np.full((4,), (m + 0.5) / model.num_masks, "float32"))
        x_prev = np.zeros((4,), "float32")
        total = np.zeros(4)
        for i in range(x.shape[1]):
            params, state = model.step(state, x_prev)
            total += keras.ops.convert_to_numpy(model.distribution.log_prob(params, x[:, i]))
            x_prev = x[:, i]
        np.testing.assert_allclose(total, per_mask[-1], atol=1e-5)
    mixture = np.log(np.mean(np.exp(np.stack(per_mask)), axis=0))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.log_prob(x)), mixture, atol=1e-5)
    assert not np.allclose(per_mask[0], per_mask[1])
