"""The speed benchmark's torch peers are the same models as keras-ar's: the same
log-probabilities from the same weights, and the same first training step."""

import sys
from pathlib import Path

import keras
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason='the benchmark peers need torch (pip install -e ".[bench]")')

import keras_ar as ka

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from peers.torch_gru import TorchCharGRU
from peers.torch_mlp import MADE as TorchMADE
from peers.torch_mlp import DeepNADE as TorchDeepNADE
from peers.torch_nade import CumsumNADE, LoopNADE


def first_step_adam(module, learning_rate=1e-2):
    """torch Adam whose first step equals Keras' Adam(epsilon=1e-7): Keras adds epsilon
    to sqrt(v) before the bias correction sqrt(1 - beta2^t), torch after it."""
    return torch.optim.Adam(module.parameters(), lr=learning_rate, eps=1e-7 / np.sqrt(1 - 0.999))


def random_weights(model, seed=0, scale=0.5):
    rng = np.random.default_rng(seed)
    for weight in model.trainable_weights:  # random weights; MADE keeps its mask degrees
        weight.assign(rng.normal(0, scale, weight.shape).astype("float32"))
    return model


def torch_weights(module):
    return {name: p.detach().numpy().copy() for name, p in module.named_parameters()}


def nade_pair(activation, peer):
    model = ka.NADE(10, hidden_units=6, activation=activation)
    model.ensure_built()
    random_weights(model)
    return model, peer(10, 6, activation).load_keras(model)


@pytest.mark.parametrize("peer", [LoopNADE, CumsumNADE])
@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_torch_nade_peers_compute_keras_ar_log_prob(activation, peer):
    model, module = nade_pair(activation, peer)
    x = (np.random.default_rng(1).uniform(size=(7, 10)) < 0.5).astype("float32")
    ours = np.asarray(model.log_prob(x))
    with torch.no_grad():
        theirs = module.log_prob(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(theirs, ours, atol=1e-4)
    assert np.ptp(ours) > 0.1  # different images, different densities


@pytest.mark.parametrize("peer", [LoopNADE, CumsumNADE])
def test_one_adam_step_of_a_torch_nade_peer_equals_keras_ar_fit(peer):
    model, module = nade_pair("sigmoid", peer)
    before = [w.copy() for w in model.get_weights()]
    x = (np.random.default_rng(2).uniform(size=(8, 10)) < 0.5).astype("float32")
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    model.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0)
    module.train_step(torch.from_numpy(x), first_step_adam(module))
    got = torch_weights(module)
    for name, ours, old in zip(["W", "c", "V", "b"], model.get_weights(), before):
        np.testing.assert_allclose(got[name], ours, atol=1e-5, err_msg=name)
        assert np.abs(ours - old).max() > 1e-3 or name == "W"  # the step moved it
    # W's last row never contributes to any conditional: no gradient, no update
    np.testing.assert_array_equal(got["W"][-1], before[0][-1])


def char_rnn_pair(layers=2):
    model = ka.CharRNN(vocab_size=5, units=4, num_layers=layers, embedding_dim=3)
    model.ensure_built()
    random_weights(model)
    return model, TorchCharGRU(5, 4, layers, 3).load_keras(model)


def test_torch_gru_peer_computes_char_rnn_log_prob():
    model, module = char_rnn_pair()
    ids = np.random.default_rng(3).integers(0, 5, size=(6, 9)).astype("int32")
    ours = np.asarray(model.log_prob(ids))
    with torch.no_grad():
        theirs = module.log_prob(torch.from_numpy(ids.astype("int64"))).numpy()
    np.testing.assert_allclose(theirs, ours, atol=1e-4)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_one_step_of_the_gru_peer_equals_char_rnn_fit(optimizer):
    """Same weights after one SGD step; after one Adam step too, except the embedding:
    Keras' Adam (TensorFlow) takes the embedding's sparse gradient row by row, squaring
    repeated ids separately, where torch squares their sum (an optimizer detail)."""
    model, module = char_rnn_pair(layers=1)
    ids = np.random.default_rng(4).integers(0, 5, size=(8, 7)).astype("int32")
    if optimizer == "sgd":
        keras_optimizer = keras.optimizers.SGD(0.5)
        torch_optimizer = torch.optim.SGD(module.parameters(), lr=0.5)
    else:
        keras_optimizer = keras.optimizers.Adam(1e-2)
        torch_optimizer = first_step_adam(module)
    before = torch_weights(module)
    model.compile(optimizer=keras_optimizer)
    model.fit(ids, batch_size=8, epochs=1, shuffle=False, verbose=0)
    module.train_step(torch.from_numpy(ids.astype("int64")), torch_optimizer)
    mapped = torch_weights(TorchCharGRU(5, 4, 1, 3).load_keras(model))
    for name, value in torch_weights(module).items():
        assert np.abs(value - before[name]).max() > 1e-4, name  # the step moved it
        if optimizer == "adam" and name.startswith("embedding"):
            continue
        np.testing.assert_allclose(value, mapped[name], atol=1e-5, err_msg=name)


def mlp_pair(model_class, peer_class):
    """A keras-ar MLP model on 10 dims (hidden 7, 6) with random weights, and its torch peer."""
    model = model_class(10, hidden_units=(7, 6))
    model.ensure_built()
    random_weights(model, scale=0.3)
    return model, peer_class(10, (7, 6)).load_keras(model)


def test_torch_made_peer_computes_made_log_prob_and_takes_the_same_adam_step():
    model, module = mlp_pair(ka.MADE, TorchMADE)
    x = (np.random.default_rng(5).uniform(size=(8, 10)) < 0.5).astype("float32")
    with torch.no_grad():
        theirs = module.log_prob(torch.from_numpy(x)).numpy()
    ours = np.asarray(model.log_prob(x))
    np.testing.assert_allclose(theirs, ours, atol=1e-4)
    assert np.ptp(ours) > 0.1
    model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=False)
    model.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0)
    module.train_step(torch.from_numpy(x), first_step_adam(module))
    mapped = torch_weights(TorchMADE(10, (7, 6)).load_keras(model))
    for name, value in torch_weights(module).items():
        np.testing.assert_allclose(value, mapped[name], atol=1e-5, err_msg=name)


def test_torch_deep_nade_peer_computes_the_order_agnostic_estimator():
    """For the same observed masks, the torch step scores what DeepNADE's loss scores."""
    model, module = mlp_pair(ka.DeepNADE, TorchDeepNADE)
    rng = np.random.default_rng(6)
    x = (rng.uniform(size=(9, 10)) < 0.5).astype("float32")
    known = (rng.uniform(size=(9, 10)) < 0.4).astype("float32")
    known[:, -1] = 0.0  # at least one scored dimension
    ours = np.asarray(model.order_agnostic_log_prob(x, known=known))
    with torch.no_grad():
        theirs = module.estimate(torch.from_numpy(x), torch.from_numpy(known)).numpy()
    np.testing.assert_allclose(theirs, ours, rtol=1e-5, atol=1e-4)
    assert np.ptp(ours) > 0.1
