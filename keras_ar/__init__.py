"""keras-ar: exact autoregressive density models (FVSBN, NADE, RNADE, MADE, char-RNN)."""

from keras_ar import distributions, layers, models, samplers
from keras_ar.models import CategoricalNADE, CharRNN, DeepNADE, FVSBN, MADE, NADE, RNADE
from keras_ar.samplers import GreedySampler, RandomSampler, Sampler, TopKSampler
from keras_ar.saving import load_model
from keras_ar.version import __version__
from keras_ar.vocabulary import Vocabulary

__all__ = [
    "FVSBN", "NADE", "CategoricalNADE", "RNADE", "MADE", "DeepNADE", "CharRNN", "Vocabulary",
    "Sampler", "RandomSampler", "GreedySampler", "TopKSampler",
    "load_model", "distributions", "layers", "models", "samplers", "__version__",
]
