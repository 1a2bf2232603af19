"""The conditional of step i never depends on the values at steps >= i."""

import keras
import numpy as np
import pytest

from keras_ar.layers import create_degrees, create_masks, strictly_lower_mask

from model_zoo import ALL_MODELS, REVERSED, make, random_inputs


def conditionals(model, x, mask_index=None):
    """Parameters of every step, concatenated on a last axis: (batch, n, p)."""
    if model.input_kind == "tokens":
        params = model.conditionals(x)
    else:
        steps = model.to_step_order(keras.ops.convert_to_tensor(x))
        steps = keras.ops.cast(steps, model.distribution.value_dtype)
        kwargs = {} if mask_index is None else {"mask_index": mask_index}
        params = model.conditionals(steps, **kwargs)
    arrays = [keras.ops.convert_to_numpy(params[k]) for k in sorted(params)]
    return np.concatenate([a if a.ndim == 3 else a[..., None] for a in arrays], -1)


def different_values(model, values):
    """Every entry replaced by another valid value."""
    if model.input_kind == "binary":
        return 1 - values
    if model.input_kind == "real":
        return values + 1.5
    size = model.vocab_size if model.input_kind == "tokens" else model.num_categories
    return (values + 1) % size


@pytest.mark.parametrize("name", ALL_MODELS)
@pytest.mark.parametrize("ordering", [None, REVERSED])
def test_step_i_ignores_inputs_at_and_after_i(name, ordering):
    if ordering is not None and name.startswith("char_rnn"):
        pytest.skip("sequence models have no ordering")
    model = make(name, ordering=ordering)
    x = random_inputs(model, batch_size=3)
    masks = range(model.num_masks) if name == "made_ensemble" else [None]
    order = np.arange(x.shape[1]) if ordering is None else np.asarray(ordering)
    for mask_index in masks:
        base = conditionals(model, x, mask_index)
        for i in range(x.shape[1]):
            changed = x.copy()
            changed[:, order[i:]] = different_values(model, x[:, order[i:]])
            after = conditionals(model, changed, mask_index)
            np.testing.assert_allclose(after[:, : i + 1], base[:, : i + 1], atol=1e-6)
            if i == 0:
                # the check can fail: later steps do see the change
                assert not np.allclose(after[:, 1:], base[:, 1:])


def test_fvsbn_later_steps_see_earlier_inputs():
    model = make("fvsbn")
    x = random_inputs(model)
    flipped = x.copy()
    flipped[:, 0] = 1 - flipped[:, 0]
    assert not np.allclose(conditionals(model, x)[:, 1:], conditionals(model, flipped)[:, 1:])


@pytest.mark.parametrize("hidden_degrees", ["random", "equal"])
def test_made_masks_connect_only_earlier_inputs(hidden_degrees):
    degrees = create_degrees(6, (10, 7), seed=3, hidden_degrees=hidden_degrees)
    masks = create_masks(degrees)
    connectivity = masks[0] @ masks[1] @ masks[2]  # (in, out) paths
    assert np.all(np.triu(connectivity.T, k=0) == 0)  # out i never sees input j >= i
    assert connectivity[0, 1:].min() > 0 or hidden_degrees == "random"


def test_strictly_lower_mask():
    mask = strictly_lower_mask(4)
    np.testing.assert_array_equal(mask, np.triu(np.ones((4, 4)), k=1))
