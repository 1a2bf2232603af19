"""Models, constants and helpers shared by the export tests."""

import dataclasses

import numpy as np
from keras import ops

from keras_ar.export.signatures import initial_state_is_random
from keras_ar.samplers import RandomSampler

from model_zoo import REVERSED, make

# every model kind; some with a non-identity ordering so the manifest's ordering matters
EXPORTED_MODELS = [
    "fvsbn",
    "nade",
    "categorical_nade",
    "rnade",
    "logistic_mixture_nade",
    "made",
    "made_ensemble",
    "deep_nade",
    "char_rnn",
    "char_rnn_simple",
]
ORDERINGS = {
    "nade": REVERSED, "rnade": REVERSED, "logistic_mixture_nade": REVERSED, "made_ensemble": REVERSED,
    "deep_nade": REVERSED,
}
IMAGE_EXPORTS = [n for n in EXPORTED_MODELS if not n.startswith("char_rnn")]
SEQUENCE_LENGTH = 8  # log_prob length of the exported CharRNNs
SAMPLE_LENGTH = 10  # tokens drawn from a CharRNN in the sampling tests
BACKENDS = ["litert", "onnx"]
TEMPERATURE = 0.8  # not 1, so a missing division by T fails the tests
RANDOM_START_NOISE = 0.9  # MADE with 3 masks: mask 2, not the default mask 0


@dataclasses.dataclass
class Exported:
    name: str
    model: object
    directory: object
    report: dict


def make_model(name):
    return make(name, ordering=ORDERINGS.get(name))


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def sample_length(model):
    return model.input_dim or SAMPLE_LENGTH


def make_noise(model, batch_size=1, seed=1):
    """Uniform noise `(batch, length, noise_size)` for one sampling run."""
    rng = np.random.default_rng(seed)
    shape = (batch_size, sample_length(model), model.distribution.noise_size)
    return rng.random(shape).astype("float32")


def initial_noise_for(model, batch_size=1):
    """A non-default initial noise for models with a random start (else None)."""
    if initial_state_is_random(model, batch_size):
        return np.full((batch_size,), RANDOM_START_NOISE, "float32")
    return None


def keras_sample(
    model, noise, temperature=TEMPERATURE, initial_noise=None, given=None, observed=None
):
    """Keras' own sample for `noise` `(batch, length, noise_size)`, in data order."""
    if initial_noise is None:
        values = model.sample(
            noise.shape[0],
            noise=noise,
            temperature=temperature,
            given=given,
            observed=observed,
            length=noise.shape[1],
        )
    else:  # model.sample draws its own initial noise; run the same sampler with ours
        values = RandomSampler(temperature).run(
            model, ops.convert_to_tensor(noise), initial_noise=ops.convert_to_tensor(initial_noise)
        )
        values = model.to_data_order(values)
    return to_numpy(values)
