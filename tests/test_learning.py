"""`compile()` + `fit(x)` lowers the NLL on real data."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

import keras_ar as ka
from keras_ar.datasets.paths import find_file

BINARIZED_MNIST = find_file("binarized_mnist.npz")[0]
NAMES = find_file("names.txt")[0]


def digits_binary():
    return (load_digits().data >= 8).astype("float32")  # (1797, 64), shipped by sklearn


@pytest.mark.parametrize("model_fn", [
    lambda: ka.NADE(64, hidden_units=32),
    lambda: ka.FVSBN(64),
    lambda: ka.MADE(64, hidden_units=(64,), num_masks=2),
])
def test_fit_lowers_nll_on_embedded_digits(model_fn):
    keras.utils.set_random_seed(0)
    x = digits_binary()
    train, valid = x[:1500], x[1500:]
    model = model_fn()
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    before = model.evaluate(valid, verbose=0, return_dict=True)
    history = model.fit(train, epochs=5, batch_size=100, verbose=0, validation_data=valid)
    after = model.evaluate(valid, verbose=0, return_dict=True)
    assert set(after) >= {"loss", "nll", "bits_per_dim"}
    assert abs(before["loss"] - 64 * np.log(2)) < 3.0  # starts near uniform
    assert after["loss"] < before["loss"] - 10.0, (before, after)
    np.testing.assert_allclose(after["bits_per_dim"], after["loss"] / (64 * np.log(2)), rtol=1e-5)
    assert history.history["val_loss"][-1] < history.history["val_loss"][0]


@pytest.mark.skipif(BINARIZED_MNIST is None,
                    reason="binarized_mnist.npz not found (set KERAS_AR_DATA, or keras-ar data get)")
def test_nade_learns_binarized_mnist():
    keras.utils.set_random_seed(0)
    data = np.load(BINARIZED_MNIST)
    train, valid = data["train"][:3000].astype("float32"), data["valid"][:1000].astype("float32")
    model = ka.NADE(784, hidden_units=100)
    model.compile(optimizer=keras.optimizers.Adam(0.005))
    before = model.evaluate(valid, verbose=0, return_dict=True)["loss"]
    model.fit(train, epochs=3, batch_size=100, verbose=0)
    after = model.evaluate(valid, verbose=0, return_dict=True)["loss"]
    assert before > 500 and after < 220, (before, after)


@pytest.mark.skipif(NAMES is None, reason="names.txt not found (set KERAS_AR_DATA)")
def test_char_rnn_learns_names():
    keras.utils.set_random_seed(0)
    names = NAMES.read_text().split()
    vocab = ka.Vocabulary.from_text(names)
    ids = vocab.encode_batch(names[:4000])
    model = ka.CharRNN(vocabulary=vocab, units=64, num_layers=1)
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    before = model.evaluate(ids[-500:], verbose=0, return_dict=True)["loss"]
    model.fit(ids[:3500], epochs=3, batch_size=64, verbose=0)
    after = model.evaluate(ids[-500:], verbose=0, return_dict=True)["loss"]
    assert abs(before - np.log(vocab.size)) < 0.1  # nats per char, uniform at start
    assert after < 2.5, (before, after)
