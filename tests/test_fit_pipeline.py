"""`fit` on an in-memory array (TensorFlow) feeds `fit_pipeline`: the batches of Keras'
own adapter, without its input threads."""

import keras
import numpy as np
import pytest

from model_zoo import make, random_inputs

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="the pipeline is TensorFlow's fit input"
)


def test_each_epoch_is_a_new_permutation_in_batches_with_a_smaller_last_one():
    from keras_ar.datasets.tf_data import fit_pipeline

    x = np.arange(23 * 2, dtype="float32").reshape(23, 2)
    pipeline = fit_pipeline(x, batch_size=5, shuffle=True)
    epochs = [[b.numpy() for b in pipeline] for _ in range(2)]
    for batches in epochs:
        assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
        seen = np.concatenate(batches)
        assert sorted(seen[:, 0].tolist()) == x[:, 0].tolist()  # every example once
    assert not np.array_equal(np.concatenate(epochs[0]), np.concatenate(epochs[1]))
    in_order = np.concatenate([b.numpy() for b in fit_pipeline(x, batch_size=5, shuffle=False)])
    np.testing.assert_array_equal(in_order, x)


@pytest.mark.parametrize("name", ["nade", "categorical_nade"])
def test_fit_on_an_array_trains_like_keras_own_adapter(name):
    x = random_inputs(make(name), batch_size=23, seed=4)
    histories = []
    for fit in ("ours", "keras"):
        model = make(name, seed=1)
        model.compile(optimizer=keras.optimizers.SGD(0.1))
        if fit == "ours":
            history = model.fit(x, batch_size=5, epochs=2, shuffle=False, verbose=0)
        else:  # Keras' array adapter, as keras.Model.fit would feed it
            history = keras.Model.fit(model, x, batch_size=5, epochs=2, shuffle=False, verbose=0)
        histories.append((history.history["loss"], model.get_weights()))
    np.testing.assert_allclose(histories[0][0], histories[1][0], rtol=1e-6)
    for ours, theirs in zip(histories[0][1], histories[1][1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-7)


def test_arguments_only_keras_adapter_has_keep_it():
    import tensorflow as tf

    from keras_ar.models.inputs import fit_input

    x = np.zeros((10, 3), "float32")
    data, kwargs = fit_input(x, {"batch_size": 4, "epochs": 2})
    assert isinstance(data, tf.data.Dataset) and kwargs == {"epochs": 2, "shuffle": False}
    for extra in ({"validation_split": 0.2}, {"sample_weight": np.ones(10)}, {"shuffle": "batch"},
                  {"steps_per_epoch": 2}):
        data, kwargs = fit_input(x, {"batch_size": 4, **extra})
        assert data is x and kwargs == {"batch_size": 4, **extra}
    backup = keras.callbacks.BackupAndRestore("unused")  # resumed runs replay Keras' order
    assert fit_input(x, {"batch_size": 4}, [backup]) == (x, {"batch_size": 4})
