"""Small instances of every model, with random (not initial) weights, for property tests."""

import keras
import numpy as np

import keras_ar as ka
from keras_ar.testing import randomize_weights as randomize  # noqa: F401  (the tests import it from here)

REVERSED = [4, 2, 0, 1, 3]


def make(name, input_dim=5, ordering=None, seed=0):
    """A small random model by name."""
    factories = {
        "fvsbn": lambda: ka.FVSBN(input_dim, ordering=ordering),
        "nade": lambda: ka.NADE(input_dim, hidden_units=6, ordering=ordering),
        "nade_relu": lambda: ka.NADE(input_dim, hidden_units=6, activation="relu", ordering=ordering),
        "categorical_nade": lambda: ka.CategoricalNADE(
            input_dim, num_categories=3, hidden_units=6, ordering=ordering
        ),
        "rnade": lambda: ka.RNADE(input_dim, hidden_units=6, num_components=3, ordering=ordering),
        "logistic_mixture_nade": lambda: ka.LogisticMixtureNADE(
            input_dim, num_categories=256, hidden_units=6, num_components=3, ordering=ordering
        ),
        "made": lambda: ka.MADE(input_dim, hidden_units=(8, 8), ordering=ordering),
        "made_ensemble": lambda: ka.MADE(  # also the direct input-to-output connection
            input_dim, hidden_units=(8,), num_masks=3, direct_connection=True, ordering=ordering
        ),
        "deep_nade": lambda: ka.DeepNADE(
            input_dim, hidden_units=(6, 7), block_size=2, ordering=ordering
        ),
        "char_rnn": lambda: ka.CharRNN(vocab_size=4, units=6, num_layers=2),
        "char_rnn_simple": lambda: ka.CharRNN(vocab_size=4, units=6, num_layers=1, cell="simple_rnn"),
    }
    scale = 0.3 if name == "rnade" else 1.0
    return randomize(factories[name](), seed=seed, scale=scale)


IMAGE_MODELS = [
    "fvsbn", "nade", "nade_relu", "categorical_nade", "rnade", "logistic_mixture_nade", "made",
    "made_ensemble", "deep_nade",
]
BINARY_MODELS = ["fvsbn", "nade", "nade_relu", "made", "made_ensemble", "deep_nade"]
SEQUENCE_MODELS = ["char_rnn", "char_rnn_simple"]
ALL_MODELS = IMAGE_MODELS + SEQUENCE_MODELS


def random_inputs(model, batch_size=4, length=5, seed=0):
    """Valid random inputs for `model`: bits, categories, reals or token ids."""
    rng = np.random.default_rng(seed)
    if model.input_kind == "tokens":
        return rng.integers(0, model.vocab_size, size=(batch_size, length)).astype("int32")
    n = model.input_dim
    if model.input_kind == "binary":
        return rng.integers(0, 2, size=(batch_size, n)).astype("float32")
    if model.input_kind == "categorical":
        return rng.integers(0, model.num_categories, size=(batch_size, n)).astype("int32")
    return rng.normal(size=(batch_size, n)).astype("float32")


def step_log_prob(model, x):
    """log p(x) by running `step` from `initial_state`, in step order."""
    x = np.asarray(x)
    steps = x if model.input_kind == "tokens" else x[:, model.ordering]
    dtype = model.distribution.value_dtype
    state = model.initial_state(x.shape[0])
    x_prev = np.zeros((x.shape[0],), dtype)
    total = np.zeros((x.shape[0],), "float64")
    for i in range(steps.shape[1]):
        params, state = model.step(state, x_prev)
        x_prev = steps[:, i].astype(dtype)
        total += keras.ops.convert_to_numpy(model.distribution.log_prob(params, x_prev))
    return total


def make_chunked(name, chunk_size=2, **kwargs):
    """The same random model as `make(name)`, evaluated in blocks of `chunk_size`."""
    reference = make(name, **kwargs)
    config = {**reference.get_config(), "chunk_size": chunk_size}
    chunked = type(reference).from_config(config)
    chunked.ensure_built()
    chunked.set_weights(reference.get_weights())
    return reference, chunked
